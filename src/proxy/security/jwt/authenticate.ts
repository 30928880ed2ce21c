// The jwt_authn filter for one request: find the tokens, verify each (./verify.ts), apply the
// requirement (Istio's: any provider, or no token at all), then on success set the request's
// RequestAuth and rewrite its headers (strip forwarded-off tokens, add payload and claim headers).
// Async (jose); the Exchange waits for it before routing, other requests are not held up.
import type { RequestAuth } from '../identity.js';
import { JwtAuthnError } from '../../errors.js';
import type { JwtAuthnConfig } from './config.js';
import { extractTokens } from './extract.js';
import { JWT_STATUS, verifyJwt } from './verify.js';

export interface AuthnRequest {
  method: string;
  /** Flat [name, value, ...], lower-case names; rewritten in place on success. */
  headers: string[];
  /** Target as received ("/path?query" or absolute-form). */
  target: string;
  authority: string;
}

/** null: no token (allowed); a RequestAuth: a valid token; a JwtAuthnError: reject. */
export type AuthnOutcome = RequestAuth | null | JwtAuthnError;

function isCorsPreflight(req: AuthnRequest): boolean {
  if (req.method !== 'OPTIONS') return false;
  let origin = false;
  let acrm = false;
  for (let i = 0; i < req.headers.length; i += 2) {
    if (req.headers[i] === 'origin') origin = true;
    else if (req.headers[i] === 'access-control-request-method') acrm = true;
  }
  return origin && acrm;
}

function removeHeader(headers: string[], name: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === name) headers.splice(i, 2);
}

/** A claim by name; "a.b" reads nested objects. Strings, numbers and booleans become text. */
export function claimText(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  let v: unknown = claims[name];
  if (v === undefined && name.includes('.')) {
    v = claims;
    for (const part of name.split('.')) v = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[part] : undefined;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function headerSafe(v: string): boolean {
  return !/[\r\n\0]/.test(v);
}

export async function authenticate(cfg: JwtAuthnConfig, req: AuthnRequest, nowSec?: number): Promise<AuthnOutcome> {
  const q = req.target.indexOf('?');
  const query = q >= 0 ? req.target.slice(q + 1) : '';
  const path = q >= 0 ? req.target.slice(0, q) : req.target;
  const realm = `http://${req.authority}${path.startsWith('/') ? path : ''}`;
  // Output headers are the proxy's to set: a client's own copies never reach the app.
  for (const p of cfg.providers) {
    if (p.forwardPayloadHeader) removeHeader(req.headers, p.forwardPayloadHeader);
    for (const c of p.claimToHeaders) removeHeader(req.headers, c.header);
  }
  if (cfg.bypassCorsPreflight && isCorsPreflight(req)) return null;
  const wanted = new Set(cfg.requirement.providers);
  const providers = cfg.providers.filter((p) => wanted.has(p.name));
  const tokens = extractTokens(providers, req.headers, query);
  const lenient = cfg.requirement.allowMissingOrFailed;
  if (tokens.length === 0) {
    return cfg.requirement.allowMissing || lenient ? null : new JwtAuthnError(401, JWT_STATUS.missing, realm);
  }
  let auth: RequestAuth | null = null;
  const toStrip = new Set<string>();
  const outputs: [string, string][] = [];
  for (const t of tokens) {
    let r;
    try {
      r = await verifyJwt(t.token, t.candidates, nowSec);
    } catch {
      r = { ok: false as const, status: 401 as const, text: JWT_STATUS.verificationFail };
    }
    if (!r.ok) {
      if (lenient) continue;
      return new JwtAuthnError(r.status, r.text, realm);
    }
    const claims = r.payload as Record<string, unknown>;
    auth ??= { principal: `${String(claims.iss)}/${typeof claims.sub === 'string' ? claims.sub : ''}`, claims: Object.freeze({ ...claims }) };
    const p = r.provider;
    if (!p.forward && t.header !== undefined) toStrip.add(t.header);
    if (p.forwardPayloadHeader) outputs.push([p.forwardPayloadHeader, r.payloadB64]);
    for (const c of p.claimToHeaders) {
      const v = claimText(claims, c.claim);
      if (v !== undefined && headerSafe(v)) outputs.push([c.header, v]);
    }
  }
  for (const h of toStrip) removeHeader(req.headers, h);
  for (const [k, v] of outputs) {
    removeHeader(req.headers, k);
    req.headers.push(k, v);
  }
  return auth;
}

/** The Exchange's hook: runs the filter for a request head and reports once, never throwing. */
export function runJwtAuthn(cfg: JwtAuthnConfig, req: { method: string; headers: string[]; target: string; host?: string | undefined }, done: (outcome: AuthnOutcome) => void): void {
  const authority = req.host ?? '';
  authenticate(cfg, { method: req.method, headers: req.headers, target: req.target, authority }).then(done, () =>
    done(new JwtAuthnError(401, JWT_STATUS.verificationFail, `http://${authority}`)),
  );
}
