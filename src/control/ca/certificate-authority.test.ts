import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webcrypto, X509Certificate } from 'node:crypto';
import { EC_P256, randomSerialHex, x509 } from '../../security/x509.js';
import { makeKeyAndCsr } from '../../security/csr.js';
import { BootstrapTokenAuthenticator, bootstrapTokensFile, writeBootstrapTokens } from './authenticator.js';
import { CaRequestError, CertificateAuthority } from './certificate-authority.js';
import { CaError, generateRoot } from './roots.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ca-'));
const silent = (): void => undefined;

function localCa(stateDir: string, extra: Partial<ConstructorParameters<typeof CertificateAuthority>[0]> = {}): CertificateAuthority {
  return new CertificateAuthority({
    stateDir,
    trustDomain: () => 'cluster.local',
    authenticator: new BootstrapTokenAuthenticator(bootstrapTokensFile(stateDir)),
    log: silent,
    ...extra,
  });
}

function token(stateDir: string, ns: string, workload: string): string {
  return fs.readFileSync(path.join(stateDir, 'identity', `${ns}.${workload}.token`), 'utf8').trim();
}

test('the generated root persists in the state dir (key 0600) and survives a restart', async () => {
  const dir = tmp();
  const a = localCa(dir);
  await a.start();
  const keyFile = path.join(dir, 'ca', 'root-key.pem');
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  const root = new X509Certificate(fs.readFileSync(path.join(dir, 'ca', 'root-cert.pem')));
  assert.ok(root.ca);
  assert.equal(root.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(root.checkIssued(root), 'self-signed');
  const b = localCa(dir);
  await b.start();
  assert.equal(b.bundlePem(), a.bundlePem(), 'same root after a restart');
  a.stop();
  b.stop();
});

test('the CA signs only the identity the bootstrap token maps to; wrong or missing tokens are refused', async () => {
  const dir = tmp();
  writeBootstrapTokens(dir, [
    { namespace: 'shop', workload: 'orders', serviceAccount: 'orders-sa' },
    { namespace: 'shop', workload: 'cart', serviceAccount: 'cart-sa' },
  ]);
  assert.equal(fs.statSync(bootstrapTokensFile(dir)).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.join(dir, 'identity', 'shop.orders.token')).mode & 0o777, 0o600);
  assert.ok(!fs.readFileSync(bootstrapTokensFile(dir), 'utf8').includes(token(dir, 'shop', 'orders')), 'only token hashes on the CA side');
  const ca = localCa(dir);
  await ca.start();
  const { csrPem } = await makeKeyAndCsr();
  const c = await ca.issue(token(dir, 'shop', 'orders'), csrPem, 0);
  assert.equal(c.spiffeId, 'spiffe://cluster.local/ns/shop/sa/orders-sa');
  await assert.rejects(ca.issue('not-a-token', csrPem, 0), (e: unknown) => e instanceof CaRequestError && e.code === 'unauthenticated');
  await assert.rejects(ca.issue('', csrPem, 0), (e: unknown) => e instanceof CaRequestError && e.code === 'unauthenticated');
  // The cart token asking for the orders identity.
  const asOrders = await makeKeyAndCsr('spiffe://cluster.local/ns/shop/sa/orders-sa');
  await assert.rejects(ca.issue(token(dir, 'shop', 'cart'), asOrders.csrPem, 0), (e: unknown) => e instanceof CaRequestError && e.code === 'forbidden');
  ca.stop();
});

test('the trust domain follows MeshConfig at signing time; TTL defaults and caps apply', async () => {
  const dir = tmp();
  writeBootstrapTokens(dir, [{ namespace: 'default', workload: 'w', serviceAccount: 'sa' }]);
  let td = 'cluster.local';
  const ca = localCa(dir, { trustDomain: () => td, defaultTtlMs: 10_000, maxTtlMs: 60_000 });
  await ca.start();
  const t = token(dir, 'default', 'w');
  const a = await ca.issue(t, (await makeKeyAndCsr()).csrPem, 0);
  td = 'example.com';
  const b = await ca.issue(t, (await makeKeyAndCsr()).csrPem, 3600);
  assert.equal(a.spiffeId, 'spiffe://cluster.local/ns/default/sa/sa');
  assert.equal(b.spiffeId, 'spiffe://example.com/ns/default/sa/sa');
  assert.ok(a.notAfter.getTime() - Date.now() <= 11_000, 'default TTL');
  assert.ok(b.notAfter.getTime() - Date.now() <= 61_000, 'asked-for TTL capped at the max');
  ca.stop();
});

test('rotation: new leaves chain to the new root; both roots are in the bundle until the overlap ends', async () => {
  const dir = tmp();
  writeBootstrapTokens(dir, [{ namespace: 'default', workload: 'w', serviceAccount: 'sa' }]);
  const ca = localCa(dir);
  await ca.start();
  const oldRoot = new X509Certificate(ca.bundlePem());
  let changes = 0;
  ca.onChange(() => changes++);
  await ca.rotateRoot(300);
  const roots = ca.status().roots;
  assert.equal(roots.length, 2);
  assert.equal(roots.filter((r) => r.active).length, 1);
  assert.ok(roots.find((r) => !r.active)?.removeAt);
  const leaf = new X509Certificate((await ca.issue(token(dir, 'default', 'w'), (await makeKeyAndCsr()).csrPem, 0)).chainPem[0]!);
  assert.ok(!leaf.verify(oldRoot.publicKey), 'not signed by the old root');
  const newRoot = new X509Certificate(fs.readFileSync(path.join(dir, 'ca', 'root-cert.pem')));
  assert.ok(leaf.verify(newRoot.publicKey), 'signed by the new root');
  assert.equal(fs.readFileSync(path.join(dir, 'ca', 'trust-bundle.pem'), 'utf8'), ca.bundlePem());
  // A restart during the overlap keeps both roots.
  const again = localCa(dir);
  await again.start();
  assert.equal(again.status().roots.length, 2);
  again.stop();
  const deadline = Date.now() + 10_000;
  while (ca.status().roots.length !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(ca.status().roots.length, 1, 'old root removed after the overlap');
  assert.equal(changes, 2, 'rotation and end of overlap both notify');
  // Only the active root's key is on disk.
  const keys = fs.readdirSync(path.join(dir, 'ca')).filter((f) => fs.readFileSync(path.join(dir, 'ca', f), 'utf8').includes('PRIVATE KEY'));
  assert.deepEqual(keys, ['root-key.pem']);
  ca.stop();
});

async function intermediate(root: { certPem: string; keyPem: string }): Promise<{ certPem: string; keyPem: string }> {
  const rootKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(root.keyPem)[0]!, EC_P256, false, ['sign']);
  const rootCert = new x509.X509Certificate(root.certPem);
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: 'CN=Operator Intermediate',
    issuer: rootCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
    publicKey: keys.publicKey,
    signingKey: rootKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { certPem: cert.toString('pem'), keyPem };
}

test('an operator CA (intermediate + chain) signs leaves that chain to the operator root; bad inputs are refused', async () => {
  const dir = tmp();
  writeBootstrapTokens(dir, [{ namespace: 'default', workload: 'w', serviceAccount: 'sa' }]);
  const root = await generateRoot('corp.example');
  const inter = await intermediate(root);
  const files = { certFile: path.join(dir, 'ca-cert.pem'), keyFile: path.join(dir, 'ca-key.pem'), chainFile: path.join(dir, 'cert-chain.pem') };
  fs.writeFileSync(files.certFile, inter.certPem);
  fs.writeFileSync(files.keyFile, inter.keyPem);
  fs.writeFileSync(files.chainFile, root.certPem);
  const ca = localCa(dir, { operator: files });
  await ca.start();
  assert.equal(ca.status().mode, 'operator');
  assert.equal(ca.bundlePem().trim(), root.certPem.trim(), 'the bundle is the operator root');
  assert.ok(!fs.existsSync(path.join(dir, 'ca', 'root-key.pem')), 'no generated root');
  const issued = await ca.issue(token(dir, 'default', 'w'), (await makeKeyAndCsr()).csrPem, 0);
  assert.equal(issued.chainPem.length, 2, 'leaf + intermediate');
  const [leaf, mid] = issued.chainPem.map((p) => new X509Certificate(p));
  assert.ok(leaf!.verify(mid!.publicKey));
  assert.ok(mid!.verify(new X509Certificate(root.certPem).publicKey));
  await assert.rejects(ca.rotateRoot(60_000), CaError);
  ca.stop();

  // Missing chain to a self-signed root, and a key that does not match.
  const noChain = localCa(dir, { operator: { certFile: files.certFile, keyFile: files.keyFile } });
  await assert.rejects(noChain.start(), /self-signed root/);
  const otherKey = path.join(dir, 'other-key.pem');
  fs.writeFileSync(otherKey, (await generateRoot('x')).keyPem);
  await assert.rejects(localCa(dir, { operator: { ...files, keyFile: otherKey } }).start(), /does not match/);
  await assert.rejects(localCa(dir, { operator: { ...files, certFile: path.join(dir, 'missing.pem') } }).start(), /cannot read/);
});
