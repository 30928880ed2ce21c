// The certificate manager against a real CA on its TLS port (in process, 127.0.44.30): the first
// certificate, renewal at half life, a CA outage (retries with backoff while the old certificate
// keeps serving), recovery, and an early renewal when the trust bundle gains a root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { CertificateAuthority } from '../../control/ca/certificate-authority.js';
import { BootstrapTokenAuthenticator, bootstrapTokensFile, writeBootstrapTokens } from '../../control/ca/authenticator.js';
import { SecureXdsServer } from '../../control/ca/secure-server.js';
import type { AdsServiceImplementation } from '../../xds/ads-service.js';
import { CertificateManager } from './cert-manager.js';

const HOST = '127.0.44.30';
const noAds = {} as AdsServiceImplementation;

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('renews at half life, keeps the old certificate through a CA outage, recovers, and renews early on a new root', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cm-'));
  const files = writeBootstrapTokens(dir, [{ namespace: 'default', workload: 'w', serviceAccount: 'w-sa' }]);
  const ca = new CertificateAuthority({
    stateDir: dir,
    trustDomain: () => 'cluster.local',
    authenticator: new BootstrapTokenAuthenticator(bootstrapTokensFile(dir)),
    defaultTtlMs: 4000,
    log: () => undefined,
  });
  await ca.start();
  let server = new SecureXdsServer(ca, noAds, () => undefined);
  const port = await server.start(HOST, 0);
  const logs: string[] = [];
  const cm = new CertificateManager({
    caAddress: `${HOST}:${port}`,
    caRootsPem: ca.bundlePem(),
    tokenFile: files.get('default/w')!,
    log: (m) => logs.push(m),
    initialBackoffMs: 50,
    maxBackoffMs: 300,
  });
  let changes = 0;
  cm.onChange(() => changes++);
  const managers = [cm];
  try {
    cm.start();
    await until('first certificate', () => cm.certificate() !== null);
    const first = cm.certificate()!;
    assert.equal(first.spiffeId, 'spiffe://cluster.local/ns/default/sa/w-sa');
    assert.match(first.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    const leaf = new X509Certificate(first.certChainPem);
    assert.ok(leaf.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(first.keyPem))), 'the key matches the certificate');
    cm.setTrustBundle(ca.bundlePem());
    assert.equal(cm.trustBundle(), ca.bundlePem());

    await until('renewal', () => cm.certificate()?.serial !== first.serial);
    const second = cm.certificate()!;
    assert.notEqual(second.keyPem, first.keyPem, 'a new key for each certificate');

    // Outage: the CA port goes away; the manager retries and the current certificate stays.
    await server.stop();
    await until('a failed renewal', () => cm.status().lastError !== null, 20_000);
    assert.equal(cm.certificate()?.serial, second.serial, 'the old certificate keeps serving');
    assert.ok(logs.some((l) => /certificate request failed .* retrying in \d+ ms/.test(l)));
    server = new SecureXdsServer(ca, noAds, () => undefined);
    await server.start(HOST, port);
    await until('recovery', () => cm.certificate()?.serial !== second.serial && cm.status().lastError === null, 20_000);

    // A new root: the bundle gains it, and a manager holding a 1 h certificate renews onto it
    // at once instead of in ~30 min.
    const long = new CertificateManager({ caAddress: `${HOST}:${port}`, caRootsPem: ca.bundlePem(), tokenFile: files.get('default/w')!, log: () => undefined, requestedTtlSeconds: 3600 });
    managers.push(long);
    long.start();
    await until('1 h certificate', () => long.certificate() !== null);
    long.setTrustBundle(ca.bundlePem());
    const before = long.certificate()!.serial;
    assert.ok(new Date(long.status().renewAt!).getTime() - Date.now() > 20 * 60_000, 'next renewal is far away');
    await ca.rotateRoot(60_000);
    long.setTrustBundle(ca.bundlePem());
    await until('early renewal onto the new root', () => long.certificate()!.serial !== before);
    const newRoot = new X509Certificate(fs.readFileSync(path.join(dir, 'ca', 'root-cert.pem')));
    assert.ok(new X509Certificate(long.certificate()!.certChainPem).verify(newRoot.publicKey));
    assert.ok(changes >= 3, 'listeners heard each certificate and the bundle');
    assert.ok(!logs.join('\n').includes('PRIVATE KEY'), 'keys are not logged');
  } finally {
    for (const m of managers) m.stop();
    ca.stop();
    await server.stop();
  }
});
