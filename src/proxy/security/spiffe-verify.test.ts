import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { badCertificates, makeCa, spiffeId, workloadSvid } from '../../../test/harness/certs.js';
import { parseSpiffeId, principalOf, verifySvid } from './spiffe-verify.js';

const der = (pem: string): Buffer => new X509Certificate(pem).raw;

test('a good SVID passes, with exact and prefix matchers', async () => {
  const ca = await makeCa('unit');
  const leaf = await workloadSvid(ca, 'orders');
  assert.deepEqual(verifySvid(der(leaf.certPem), []), { ok: true, spiffeId: spiffeId('orders') });
  assert.equal(verifySvid(der(leaf.certPem), [{ kind: 'prefix', value: 'spiffe://cluster.local/' }]).ok, true);
  assert.equal(verifySvid(der(leaf.certPem), [{ kind: 'exact', value: spiffeId('orders') }]).ok, true);
  const wrong = verifySvid(der(leaf.certPem), [{ kind: 'exact', value: spiffeId('payments') }]);
  assert.equal(wrong.ok, false);
  assert.match(wrong.ok ? '' : wrong.reason, /does not match spiffe:\/\/cluster.local\/ns\/default\/sa\/payments/);
  assert.equal(principalOf(spiffeId('orders')), 'cluster.local/ns/default/sa/orders');
});

test('every structurally bad SVID is refused with its reason (chain checks are OpenSSL\'s)', async () => {
  const ca = await makeCa('unit');
  const reasons: Record<string, string> = {};
  for (const b of await badCertificates(ca, 'orders')) {
    const r = verifySvid(der(b.leaf.certPem), [{ kind: 'prefix', value: 'spiffe://cluster.local/' }]);
    reasons[b.name] = r.ok ? 'ACCEPTED' : r.reason;
  }
  assert.match(reasons.expired ?? '', /expired/);
  assert.match(reasons['not yet valid'] ?? '', /not yet valid/);
  assert.equal(reasons['wrong CA'], 'ACCEPTED', 'the issuer is verified by the TLS handshake, not here');
  assert.match(reasons['two URI SANs'] ?? '', /2 URI SANs/);
  assert.match(reasons['CA=true leaf'] ?? '', /is a CA/);
  assert.match(reasons['URI SAN with a NUL byte'] ?? '', /NUL/);
  assert.match(reasons['wrong trust domain'] ?? '', /does not match spiffe:\/\/cluster.local\/\*/);
  assert.match(reasons['SPIFFE ID as a DNS SAN'] ?? '', /DNS SAN, not a URI SAN/);
});

test('SPIFFE ID syntax', () => {
  assert.deepEqual(parseSpiffeId('spiffe://cluster.local/ns/a/sa/b'), { trustDomain: 'cluster.local', path: '/ns/a/sa/b' });
  for (const bad of ['spiffe://Cluster.local/x', 'https://cluster.local/ns/a', 'spiffe:///ns/a', 'spiffe://td/ns//a', 'spiffe://td/ns/../a', 'spiffe://td/a/', 'spiffe://td/a?b', 'spiffe://td/a#b']) {
    assert.equal(parseSpiffeId(bad), null, bad);
  }
});
