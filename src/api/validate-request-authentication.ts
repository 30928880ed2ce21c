// RequestAuthentication spec: JWT rules (issuer, audiences, JWKS inline or by URI, where the
// token is, what to forward). targetRef(s) (Gateway API attachment) are warned about and ignored.

import type { ClaimToHeader, JwtHeader, JWTRule, RequestAuthenticationSpec } from './request-authentication-types.js';
import { compact, readLabels, type Field, type FieldSet } from './validate-common.js';
import type { Check } from './names.js';

const SPEC: FieldSet = { supported: ['selector', 'jwtRules'], notYet: ['targetRef', 'targetRefs'] };
const SELECTOR: FieldSet = { supported: ['matchLabels'] };
const RULE: FieldSet = {
  supported: [
    'issuer', 'audiences', 'jwksUri', 'jwks', 'fromHeaders', 'fromParams', 'fromCookies',
    'outputPayloadToHeader', 'forwardOriginalToken', 'outputClaimToHeaders', 'timeout',
  ],
  notYet: ['spaceDelimitedClaims'],
};
const FROM_HEADER: FieldSet = { supported: ['name', 'prefix'] };
const CLAIM_TO_HEADER: FieldSet = { supported: ['header', 'claim'] };

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const headerName: Check = (s) => (HEADER_NAME.test(s) ? undefined : 'expected an HTTP header name');
const httpUrl: Check = (s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'expected an http:// or https:// URL';
  } catch {
    return 'expected an http:// or https:// URL';
  }
};
const claimName: Check = (s) => (s.length > 0 && !s.startsWith('.') && !s.endsWith('.') && !s.includes('..') ? undefined : 'expected a claim name ("a" or nested "a.b")');

export function validateRequestAuthenticationSpec(f: Field): RequestAuthenticationSpec {
  f.object(SPEC, { required: true });
  const sel = f.get('selector');
  let selector: Record<string, string> | undefined;
  if (sel.present) {
    sel.object(SELECTOR, { required: true });
    selector = readLabels(sel.get('matchLabels'));
  }
  const jwtRules = f.get('jwtRules').list(readRule);
  const seen = new Map<string, number>();
  jwtRules.forEach((r, i) => {
    // Envoy keys providers by issuer: two rules with one issuer could not both be enforced.
    const prev = seen.get(r.issuer);
    if (prev !== undefined && r.issuer !== '') f.get('jwtRules').at(i).get('issuer').error(`issuer "${r.issuer}" is already used by jwtRules[${prev}]`);
    seen.set(r.issuer, i);
  });
  return compact({ selector, jwtRules });
}

function readRule(f: Field): JWTRule {
  f.object(RULE, { required: true });
  const jwksUri = f.get('jwksUri').string({ check: httpUrl });
  const jwks = f.get('jwks').string({ check: jwksText });
  if (jwksUri === undefined && jwks === undefined && f.present) {
    f.get('jwksUri').error('required: jwksUri or jwks (OpenID discovery from the issuer is not supported yet)');
  }
  return compact({
    issuer: f.get('issuer').string({ required: true }),
    audiences: f.get('audiences').stringList(),
    jwksUri,
    jwks,
    fromHeaders: f.get('fromHeaders').list(readFromHeader),
    fromParams: f.get('fromParams').stringList(),
    fromCookies: f.get('fromCookies').stringList(),
    outputPayloadToHeader: f.get('outputPayloadToHeader').string({ check: headerName }),
    forwardOriginalToken: f.get('forwardOriginalToken').bool({ default: false }),
    outputClaimToHeaders: f.get('outputClaimToHeaders').list(readClaimToHeader),
    timeoutMs: f.get('timeout').duration(),
  });
}

function readFromHeader(f: Field): JwtHeader {
  f.object(FROM_HEADER, { required: true });
  return compact({ name: f.get('name').string({ required: true, check: headerName }), prefix: f.get('prefix').string() });
}

function readClaimToHeader(f: Field): ClaimToHeader {
  f.object(CLAIM_TO_HEADER, { required: true });
  return { header: f.get('header').string({ required: true, check: headerName }), claim: f.get('claim').string({ required: true, check: claimName }) };
}

/** Inline JWKS: JSON with a non-empty "keys" list of objects, each with "kty". */
const jwksText: Check = (s) => {
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch (e) {
    return `expected a JWKS as JSON text (${(e as Error).message})`;
  }
  const keys = (v as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return 'expected a JWKS: a JSON object with a non-empty "keys" list';
  const bad = keys.findIndex((k) => typeof k !== 'object' || k === null || typeof (k as { kty?: unknown }).kty !== 'string');
  return bad >= 0 ? `expected a JWKS: keys[${bad}] has no "kty"` : undefined;
};
