import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwtAuthn, JWT_AUTHN_TYPE_URL } from './decode.js';
import { authenticate, type AuthnRequest } from './authenticate.js';
import { JwtAuthnError } from '../../errors.js';
import { JWT_STATUS } from './verify.js';
import { claimMatches, decodeClaimMatcher } from './claims-match.js';
import { stringMatches } from '../../router/select.js';
import { jwksOf, signToken, testKey } from '../../../testing/jwt-issuer.js';
import type { StringMatcher } from '../../config/types.js';

const ISS = 'https://issuer.test';

async function config(provider: Record<string, unknown> = {}, requirement: unknown[] = [{ provider_name: 'origins-0' }, { allow_missing: {} }]) {
  const key = await testKey('k1');
  const cfg = decodeJwtAuthn(
    {
      '@type': JWT_AUTHN_TYPE_URL,
      providers: { 'origins-0': { issuer: ISS, local_jwks: { inline_string: jwksOf(key) }, ...provider } },
      rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements: requirement } } }],
      bypass_cors_preflight: true,
    },
    'jwt',
  );
  return { key, cfg };
}

const req = (headers: string[], target = '/'): AuthnRequest => ({ method: 'GET', headers, target, authority: 'order' });

test('authenticate: missing token passes without auth (allow_missing); required without it is 401 "Jwt is missing"', async () => {
  const { cfg } = await config();
  assert.equal(await authenticate(cfg, req([])), null);
  // A non-Bearer Authorization header is no token at all.
  assert.equal(await authenticate(cfg, req(['authorization', 'Basic dTpw'])), null);
  const strict = (await config({}, [{ provider_name: 'origins-0' }])).cfg;
  const r = await authenticate(strict, req([]));
  assert.ok(r instanceof JwtAuthnError);
  assert.equal(r.message, JWT_STATUS.missing);
});

test('authenticate: valid token → principal iss/sub and claims; token stripped unless forward; outputs set', async () => {
  const { key, cfg } = await config({ forward_payload_header: 'x-jwt-payload', claim_to_headers: [{ header_name: 'x-group', claim_name: 'org.group' }] });
  const token = await signToken(key, { iss: ISS, sub: 'alice', claims: { org: { group: 'admins' } } });
  const headers = ['authorization', `Bearer ${token}`, 'x-group', 'forged', 'x-jwt-payload', 'forged', 'accept', '*/*'];
  const auth = await authenticate(cfg, req(headers));
  assert.ok(auth && !(auth instanceof Error));
  assert.equal(auth.principal, `${ISS}/alice`);
  assert.deepEqual(auth.claims.org, { group: 'admins' });
  assert.deepEqual(headers, ['accept', '*/*', 'x-jwt-payload', token.split('.')[1], 'x-group', 'admins']);
  // forward: true keeps the token header as it was.
  const f = await config({ forward: true });
  const t = await signToken(f.key, { iss: ISS });
  const kept = ['authorization', `Bearer ${t}`];
  const a = await authenticate(f.cfg, req(kept));
  assert.ok(a && !(a instanceof Error));
  assert.deepEqual(kept, ['authorization', `Bearer ${t}`]);
});

test('authenticate: two Authorization headers are 401 (joined, not a JWT); query param only when configured', async () => {
  const { key, cfg } = await config({ from_params: ['token'] });
  const token = await signToken(key, { iss: ISS, sub: 'bob' });
  const two = await authenticate(cfg, req(['authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`]));
  // from_params set: only ?token= is a location now, Authorization is not looked at.
  assert.equal(two, null);
  const byParam = await authenticate(cfg, req([], `/x?a=1&token=${token}`));
  assert.ok(byParam && !(byParam instanceof Error) && byParam.principal === `${ISS}/bob`);
  const dflt = (await config()).cfg;
  const twoDefault = await authenticate(dflt, req(['authorization', `Bearer ${token}`, 'authorization', `Bearer ${token}`]));
  assert.ok(twoDefault instanceof JwtAuthnError);
  assert.equal(twoDefault.status, 401);
  assert.equal(twoDefault.message, JWT_STATUS.badFormat);
});

test('authenticate: a CORS preflight bypasses the filter', async () => {
  const { cfg } = await config();
  const r = await authenticate(cfg, { method: 'OPTIONS', headers: ['origin', 'http://a', 'access-control-request-method', 'GET', 'authorization', 'Bearer x.y.z'], target: '/', authority: 'a' });
  assert.equal(r, null);
});

test('claims-match: string, list, nested, absent and inverted claims', () => {
  const sm = (m: Record<string, unknown>, _p: string): StringMatcher => ({ kind: 'exact', value: String(m.exact), ignoreCase: false });
  const cm = (path: string[], invert = false) =>
    decodeClaimMatcher({ filter: 'istio_authn', path: [{ key: 'request.auth.claims' }, ...path.map((key) => ({ key }))], value: { list_match: { one_of: { string_match: { exact: 'admins' } } } }, ...(invert ? { invert } : {}) }, 'm', sm);
  const auth = { principal: 'i/s', claims: { group: 'admins', groups: ['dev', 'admins'], org: { team: 'admins' }, other: 'x' } };
  assert.ok(claimMatches(cm(['group']), auth, stringMatches));
  assert.ok(claimMatches(cm(['groups']), auth, stringMatches));
  assert.ok(claimMatches(cm(['org', 'team']), auth, stringMatches));
  assert.ok(!claimMatches(cm(['other']), auth, stringMatches));
  assert.ok(!claimMatches(cm(['group']), null, stringMatches));
  assert.ok(claimMatches(cm(['group'], true), null, stringMatches));
  assert.throws(() => decodeClaimMatcher({ filter: 'envoy.lb', path: [{ key: 'x' }], value: {} }, 'm', sm), /m\.filter/);
});
