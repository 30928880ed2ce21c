import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webcrypto, X509Certificate } from 'node:crypto';
import { x509, EC_P256 } from '../../security/x509.js';
import { makeKeyAndCsr } from '../../security/csr.js';
import { CsrRejected, issueSvid, MAX_BACKDATE_MS } from './issuer.js';
import { RootStore } from './roots.js';

const ID = { trustDomain: 'example.org', namespace: 'shop', serviceAccount: 'orders' };
const URI = 'spiffe://example.org/ns/shop/sa/orders';

async function ca(): Promise<Awaited<ReturnType<RootStore['loadOrCreate']>>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ca-'));
  return new RootStore(dir).loadOrCreate('example.org');
}

test('an issued leaf follows every X.509-SVID rule', async () => {
  const material = await ca();
  const { csrPem } = await makeKeyAndCsr();
  const now = new Date();
  const issued = await issueSvid(material, { csrPem, identity: ID, ttlMs: 24 * 3600 * 1000, now });
  assert.equal(issued.chainPem.length, 1, 'generated root: the chain is the leaf alone');
  const leaf = new x509.X509Certificate(issued.chainPem[0]!);
  const node = new X509Certificate(issued.chainPem[0]!);
  // Exactly one URI SAN with the caller's SPIFFE ID, and no other SAN.
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  assert.ok(san, 'has a SAN extension');
  assert.deepEqual(san.names.items.map((n) => [n.type, n.value]), [['url', URI]]);
  assert.equal(san.critical, true, 'SAN is critical: the subject is empty');
  assert.equal(leaf.subject, '');
  // CA=false, critical.
  const bc = leaf.getExtension(x509.BasicConstraintsExtension);
  assert.ok(bc);
  assert.equal(bc.ca, false);
  assert.equal(bc.critical, true);
  assert.equal(node.ca, false);
  // digitalSignature (+ keyEncipherment, as Istio); never keyCertSign / cRLSign.
  const ku = leaf.getExtension(x509.KeyUsagesExtension);
  assert.ok(ku);
  assert.ok(ku.usages & x509.KeyUsageFlags.digitalSignature);
  assert.ok(ku.usages & x509.KeyUsageFlags.keyEncipherment);
  assert.equal(ku.usages & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign), 0);
  // serverAuth + clientAuth.
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  assert.ok(eku);
  assert.deepEqual([...eku.usages].sort(), [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth].sort());
  // ECDSA P-256, signed by the root.
  assert.equal(node.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const root = new X509Certificate(material.rootPem);
  assert.ok(node.checkIssued(root));
  assert.ok(node.verify(root.publicKey));
  // Validity: 24 h from now, notBefore backdated by at most a minute.
  const nb = new Date(node.validFrom).getTime();
  const na = new Date(node.validTo).getTime();
  assert.ok(nb <= now.getTime() && nb >= now.getTime() - MAX_BACKDATE_MS - 1000, `notBefore ${node.validFrom}`);
  assert.ok(Math.abs(na - (now.getTime() + 24 * 3600 * 1000)) < 2000, `notAfter ${node.validTo}`);
  assert.equal(issued.serial, node.serialNumber.toUpperCase());
});

test('serials are random and positive; a short TTL is honoured in seconds', async () => {
  const material = await ca();
  const serials = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const { csrPem } = await makeKeyAndCsr();
    const c = await issueSvid(material, { csrPem, identity: ID, ttlMs: 6000 });
    const node = new X509Certificate(c.chainPem[0]!);
    assert.ok(/^[0-7]/.test(node.serialNumber), `positive serial ${node.serialNumber}`);
    assert.ok(node.serialNumber.length >= 30, 'at least ~120 random bits');
    serials.add(node.serialNumber);
    const life = new Date(node.validTo).getTime() - new Date(node.validFrom).getTime();
    assert.ok(life >= 6000 && life <= 8000, `life ${life} ms`);
  }
  assert.equal(serials.size, 5);
});

test('a CSR naming exactly the caller identity is signed; another SPIFFE ID, a DNS SAN or two SANs are refused', async () => {
  const material = await ca();
  const ok = await makeKeyAndCsr(URI);
  assert.equal((await issueSvid(material, { csrPem: ok.csrPem, identity: ID, ttlMs: 60_000 })).spiffeId, URI);
  const other = await makeKeyAndCsr('spiffe://example.org/ns/shop/sa/admin');
  await assert.rejects(issueSvid(material, { csrPem: other.csrPem, identity: ID, ttlMs: 60_000 }), (e: unknown) => e instanceof CsrRejected && e.code === 'forbidden' && /sa\/admin/.test(e.message));
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  for (const names of [
    [{ type: 'dns' as const, value: URI }],
    [{ type: 'url' as const, value: URI }, { type: 'url' as const, value: 'spiffe://example.org/ns/x/sa/y' }],
  ]) {
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ keys, signingAlgorithm: EC_P256, extensions: [new x509.SubjectAlternativeNameExtension(names)] });
    await assert.rejects(issueSvid(material, { csrPem: csr.toString('pem'), identity: ID, ttlMs: 60_000 }), (e: unknown) => e instanceof CsrRejected && e.code === 'forbidden');
  }
});

test('a CSR whose signature does not verify, or that is not a CSR, is refused', async () => {
  const material = await ca();
  const { csrPem } = await makeKeyAndCsr();
  const der = Buffer.from(x509.PemConverter.decode(csrPem)[0]!);
  der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff; // flip bits inside the signature
  const bad = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
  await assert.rejects(issueSvid(material, { csrPem: bad, identity: ID, ttlMs: 60_000 }), (e: unknown) => e instanceof CsrRejected && e.code === 'invalid');
  await assert.rejects(issueSvid(material, { csrPem: 'hello', identity: ID, ttlMs: 60_000 }), (e: unknown) => e instanceof CsrRejected && e.code === 'invalid');
});

type CryptoKeyPair = webcrypto.CryptoKeyPair;
