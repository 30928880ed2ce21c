import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwtAuthn, JWT_AUTHN_TYPE_URL } from './decode.js';
import { JWT_STATUS, verifyJwt } from './verify.js';
import type { JwtProvider } from './config.js';
import { hs256WithPublicKey, jwksOf, signToken, testKey, unsignedToken, type TestKey } from '../../../testing/jwt-issuer.js';

const ISS = 'https://issuer.test';

async function setup(): Promise<{ rsa: TestKey; ec: TestKey; other: TestKey; provider: (extra?: Record<string, unknown>) => JwtProvider }> {
  const rsa = await testKey('rsa-1', 'RS256');
  const ec = await testKey('ec-1', 'ES256');
  const other = await testKey('rsa-2', 'RS256');
  const provider = (extra: Record<string, unknown> = {}): JwtProvider => {
    const cfg = decodeJwtAuthn(
      {
        '@type': JWT_AUTHN_TYPE_URL,
        providers: { 'origins-0': { issuer: ISS, local_jwks: { inline_string: jwksOf(rsa, ec) }, ...extra } },
        rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements: [{ provider_name: 'origins-0' }, { allow_missing: {} }] } } }],
      },
      'jwt',
    );
    return cfg.providers[0]!;
  };
  return { rsa, ec, other, provider };
}

test('verify: RS256 and ES256 tokens of the configured issuer verify; claims come back', async () => {
  const { rsa, ec, provider } = await setup();
  const p = provider();
  for (const key of [rsa, ec]) {
    const r = await verifyJwt(await signToken(key, { iss: ISS, sub: 'alice', claims: { group: 'admins' } }), [p]);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.payload.sub, 'alice');
    assert.equal(r.payload.group, 'admins');
  }
  // No kid: every key that fits the alg is tried.
  assert.ok((await verifyJwt(await signToken(rsa, { iss: ISS, kid: null }), [p])).ok);
});

test('verify: each failure gets Envoy status text and code', async () => {
  const { rsa, other, provider } = await setup();
  const p = provider({ audiences: ['shop'] });
  const cases: [string, string, number][] = [
    [await signToken(rsa, { iss: ISS, aud: 'shop', expIn: -120 }), JWT_STATUS.expired, 401],
    [await signToken(rsa, { iss: ISS, aud: 'shop', nbfIn: 300 }), JWT_STATUS.notYetValid, 401],
    [await signToken(rsa, { iss: 'https://evil.test', aud: 'shop' }), JWT_STATUS.unknownIssuer, 401],
    [await signToken(rsa, { iss: ISS, aud: 'other' }), JWT_STATUS.audienceNotAllowed, 401],
    [await signToken(rsa, { iss: ISS }), JWT_STATUS.audienceNotAllowed, 401],
    [unsignedToken({ iss: ISS, aud: 'shop', exp: Math.floor(Date.now() / 1000) + 60 }), JWT_STATUS.headerAlgNotImplemented, 401],
    [hs256WithPublicKey(rsa, { iss: ISS, aud: 'shop', exp: Math.floor(Date.now() / 1000) + 60 }), JWT_STATUS.kidAlgMismatch, 401],
    [await signToken(other, { iss: ISS, aud: 'shop' }), JWT_STATUS.kidAlgMismatch, 401],
    [await signToken(other, { iss: ISS, aud: 'shop', kid: 'rsa-1' }), JWT_STATUS.verificationFail, 401],
    ['abc.def', JWT_STATUS.badFormat, 401],
    ['!!.e30.x', JWT_STATUS.headerBase64, 401],
    [`${Buffer.from('{"alg":"RS256"').toString('base64url')}.e30.x`, JWT_STATUS.headerJson, 401],
  ];
  for (const [token, text, status] of cases) {
    const r = await verifyJwt(token, [p]);
    assert.deepEqual(r.ok ? 'ok' : [r.text, r.status], [text, status], token.slice(0, 40));
  }
  // A flipped signature byte fails verification.
  const good = await signToken(rsa, { iss: ISS, aud: 'shop' });
  const sig = Buffer.from(good.split('.')[2]!, 'base64url');
  sig[0] = (sig[0] ?? 0) ^ 1;
  const bad = `${good.split('.').slice(0, 2).join('.')}.${sig.toString('base64url')}`;
  assert.deepEqual(await verifyJwt(bad, [p]), { ok: false, status: 401, text: JWT_STATUS.verificationFail });
});

test('verify: exp and nbf allow 60 s clock skew by default, clock_skew_seconds changes it', async () => {
  const { rsa, provider } = await setup();
  const now = Math.floor(Date.now() / 1000);
  const t = await signToken(rsa, { iss: ISS, expIn: 0, nbfIn: 0 });
  assert.ok((await verifyJwt(t, [provider()], now + 50)).ok);
  assert.ok((await verifyJwt(t, [provider()], now - 50)).ok);
  assert.deepEqual(await verifyJwt(t, [provider()], now + 70), { ok: false, status: 401, text: JWT_STATUS.expired });
  assert.deepEqual(await verifyJwt(t, [provider({ clock_skew_seconds: 10 })], now + 20), { ok: false, status: 401, text: JWT_STATUS.expired });
  assert.deepEqual(await verifyJwt(t, [provider({ clock_skew_seconds: 10 })], now - 20), { ok: false, status: 401, text: JWT_STATUS.notYetValid });
});

test('decode: unknown fields and unsupported requirement shapes are NACKed with their path', async () => {
  const { rsa } = await setup();
  const base = (p: Record<string, unknown>, rules?: unknown): Record<string, unknown> => ({
    '@type': JWT_AUTHN_TYPE_URL,
    providers: { a: { issuer: ISS, local_jwks: { inline_string: jwksOf(rsa) }, ...p } },
    rules: rules ?? [{ match: { prefix: '/' }, requires: { provider_name: 'a' } }],
  });
  assert.throws(() => decodeJwtAuthn(base({ remote_jwks: {} }), 'f'), /f\.providers\.a\.remote_jwks: field not supported/);
  assert.throws(() => decodeJwtAuthn(base({ local_jwks: { inline_string: 'nope' } }), 'f'), /f\.providers\.a\.local_jwks\.inline_string: invalid JWKS JSON/);
  assert.throws(() => decodeJwtAuthn(base({}, [{ match: { prefix: '/api' }, requires: { provider_name: 'a' } }]), 'f'), /f\.rules\[0\]\.match\.prefix/);
  assert.throws(() => decodeJwtAuthn(base({}, [{ match: { prefix: '/' }, requires: { requires_all: {} } }]), 'f'), /f\.rules\[0\]\.requires\.requires_all/);
  assert.throws(() => decodeJwtAuthn(base({}, [{ match: { prefix: '/' }, requires: { provider_name: 'b' } }]), 'f'), /no provider named b/);
  assert.throws(() => decodeJwtAuthn({ ...base({}), filter_state_rules: {} }, 'f'), /f\.filter_state_rules/);
  const cfg = decodeJwtAuthn(base({}), 'f');
  // No location configured: Envoy's defaults.
  assert.deepEqual(cfg.providers[0]?.locations, { headers: [{ name: 'authorization', prefix: 'Bearer ' }], params: ['access_token'], cookies: [] });
  assert.deepEqual([...(cfg.providers[0]?.algorithms ?? [])], ['RS256']);
  assert.deepEqual(cfg.requirement, { providers: ['a'], allowMissing: false, allowMissingOrFailed: false });
});
