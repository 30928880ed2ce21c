// envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication → JwtAuthnConfig. Implements the
// shape Istio emits (inline JWKS providers, one rule for "/" requiring any provider or allowing a
// missing token); every other field is refused with its path, so the control plane sees a NACK.
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { arr, bool, ConfigRejection, num, obj, only, str, type J } from '../../config/check.js';
import type { JwtAuthnConfig, JwtProvider, JwtRequirement, TokenLocations } from './config.js';

export const JWT_AUTHN_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';

const TOP_FIELDS = ['@type', 'providers', 'rules', 'bypass_cors_preflight'];
const PROVIDER_FIELDS = [
  'issuer', 'audiences', 'local_jwks', 'forward', 'from_headers', 'from_params', 'from_cookies',
  'forward_payload_header', 'claim_to_headers', 'payload_in_metadata', 'clock_skew_seconds',
];
/** Envoy's default clock skew for exp/nbf. */
export const DEFAULT_CLOCK_SKEW_SEC = 60;

export function decodeJwtAuthn(tc: J, path: string): JwtAuthnConfig {
  only(tc, path, TOP_FIELDS);
  const providersObj = obj(tc.providers, `${path}.providers`);
  const providers = Object.entries(providersObj).map(([name, p]) => decodeProvider(name, obj(p, `${path}.providers.${name}`), `${path}.providers.${name}`));
  if (providers.length === 0) throw new ConfigRejection(`${path}.providers`, 'expected at least one provider');
  const rules = arr(tc.rules, `${path}.rules`);
  if (rules.length !== 1) throw new ConfigRejection(`${path}.rules`, `exactly one rule is supported, got ${rules.length}`);
  const requirement = decodeRule(obj(rules[0], `${path}.rules[0]`), `${path}.rules[0]`, new Set(providers.map((p) => p.name)));
  return { providers, requirement, bypassCorsPreflight: bool(tc.bypass_cors_preflight, `${path}.bypass_cors_preflight`, false) };
}

function decodeRule(r: J, path: string, names: ReadonlySet<string>): JwtRequirement {
  only(r, path, ['match', 'requires']);
  const m = obj(r.match, `${path}.match`);
  only(m, `${path}.match`, ['prefix']);
  if (m.prefix !== '/') throw new ConfigRejection(`${path}.match.prefix`, `only "/" is supported, got ${JSON.stringify(m.prefix)}`);
  const req = obj(r.requires, `${path}.requires`);
  const out: JwtRequirement = { providers: [], allowMissing: false, allowMissingOrFailed: false };
  const one = (x: J, p: string): void => {
    only(x, p, ['provider_name', 'allow_missing', 'allow_missing_or_failed']);
    const kinds = Object.keys(x);
    if (kinds.length !== 1) throw new ConfigRejection(p, 'expected exactly one of provider_name, allow_missing, allow_missing_or_failed');
    if (x.provider_name !== undefined) {
      const n = str(x.provider_name, `${p}.provider_name`);
      if (!names.has(n)) throw new ConfigRejection(`${p}.provider_name`, `no provider named ${n}`);
      out.providers.push(n);
    } else if (x.allow_missing !== undefined) {
      only(obj(x.allow_missing, `${p}.allow_missing`), `${p}.allow_missing`, []);
      out.allowMissing = true;
    } else {
      only(obj(x.allow_missing_or_failed, `${p}.allow_missing_or_failed`), `${p}.allow_missing_or_failed`, []);
      out.allowMissingOrFailed = true;
    }
  };
  if (req.requires_any !== undefined) {
    only(req, `${path}.requires`, ['requires_any']);
    const any = obj(req.requires_any, `${path}.requires.requires_any`);
    only(any, `${path}.requires.requires_any`, ['requirements']);
    arr(any.requirements, `${path}.requires.requires_any.requirements`).forEach((x, i) => {
      const p = `${path}.requires.requires_any.requirements[${i}]`;
      one(obj(x, p), p);
    });
  } else {
    one(req, `${path}.requires`);
  }
  return out;
}

function decodeProvider(name: string, p: J, path: string): JwtProvider {
  only(p, path, PROVIDER_FIELDS);
  const lj = obj(p.local_jwks, `${path}.local_jwks`);
  only(lj, `${path}.local_jwks`, ['inline_string']);
  const { keys, algorithms } = decodeJwks(str(lj.inline_string, `${path}.local_jwks.inline_string`), `${path}.local_jwks.inline_string`);
  const headers = arr(p.from_headers, `${path}.from_headers`).map((h, i) => {
    const hp = `${path}.from_headers[${i}]`;
    const ho = obj(h, hp);
    only(ho, hp, ['name', 'value_prefix']);
    return { name: str(ho.name, `${hp}.name`).toLowerCase(), prefix: ho.value_prefix === undefined ? '' : str(ho.value_prefix, `${hp}.value_prefix`) };
  });
  const params = arr(p.from_params, `${path}.from_params`).map((v, i) => str(v, `${path}.from_params[${i}]`));
  const cookies = arr(p.from_cookies, `${path}.from_cookies`).map((v, i) => str(v, `${path}.from_cookies[${i}]`));
  // Envoy's default locations when none is given: Authorization: Bearer and ?access_token=.
  const locations: TokenLocations =
    headers.length + params.length + cookies.length === 0
      ? { headers: [{ name: 'authorization', prefix: 'Bearer ' }], params: ['access_token'], cookies: [] }
      : { headers, params, cookies };
  const skew = p.clock_skew_seconds === undefined ? DEFAULT_CLOCK_SKEW_SEC : num(p.clock_skew_seconds, `${path}.clock_skew_seconds`);
  if (!Number.isInteger(skew) || skew < 0) throw new ConfigRejection(`${path}.clock_skew_seconds`, 'expected a non-negative integer');
  if (p.payload_in_metadata !== undefined) str(p.payload_in_metadata, `${path}.payload_in_metadata`);
  return {
    name,
    issuer: str(p.issuer, `${path}.issuer`),
    audiences: arr(p.audiences, `${path}.audiences`).map((a, i) => str(a, `${path}.audiences[${i}]`)),
    keys,
    algorithms,
    locations,
    forward: bool(p.forward, `${path}.forward`, false),
    forwardPayloadHeader: p.forward_payload_header === undefined ? undefined : str(p.forward_payload_header, `${path}.forward_payload_header`).toLowerCase(),
    claimToHeaders: arr(p.claim_to_headers, `${path}.claim_to_headers`).map((c, i) => {
      const cp = `${path}.claim_to_headers[${i}]`;
      const co = obj(c, cp);
      only(co, cp, ['header_name', 'claim_name']);
      return { header: str(co.header_name, `${cp}.header_name`).toLowerCase(), claim: str(co.claim_name, `${cp}.claim_name`) };
    }),
    clockSkewSec: skew,
  };
}

const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGS: Readonly<Record<string, string>> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/** The JWKS as jose's key lookup, and the algorithms its (public, asymmetric) keys can verify. */
function decodeJwks(text: string, path: string): Pick<JwtProvider, 'keys' | 'algorithms'> {
  let set: JSONWebKeySet;
  try {
    set = JSON.parse(text) as JSONWebKeySet;
  } catch (err) {
    throw new ConfigRejection(path, `invalid JWKS JSON: ${(err as Error).message}`);
  }
  if (typeof set !== 'object' || set === null || !Array.isArray(set.keys)) throw new ConfigRejection(path, 'expected a JWKS with a "keys" list');
  const algorithms = new Set<string>();
  for (const k of set.keys) {
    if (typeof k !== 'object' || k === null) continue;
    // A key that names its alg allows only that one (jose enforces the same when it picks keys).
    const byType = k.kty === 'RSA' ? RSA_ALGS : k.kty === 'EC' ? [EC_ALGS[String(k.crv)] ?? ''] : k.kty === 'OKP' && k.crv === 'Ed25519' ? ['EdDSA'] : [];
    for (const a of byType) if (a && (k.alg === undefined || k.alg === a)) algorithms.add(a);
  }
  try {
    return { keys: createLocalJWKSet(set), algorithms };
  } catch (err) {
    throw new ConfigRejection(path, `invalid JWKS: ${(err as Error).message}`);
  }
}
