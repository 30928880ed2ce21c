import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeCa, workloadSvid, writeIdentityDir } from '../../../test/harness/certs.js';
import { FileIdentityProvider } from './file-identity.js';

test('loads the three files, reloads on change, keeps the last good set on a broken write', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-fileid-'));
  const ca = await makeCa('unit');
  writeIdentityDir(dir, await workloadSvid(ca, 'orders'), ca.pem);
  const p = new FileIdentityProvider(dir);
  try {
    const first = p.certificate();
    assert.equal(first?.spiffeId, 'spiffe://cluster.local/ns/default/sa/orders');
    assert.equal(p.trustBundle(), ca.pem);
    let changes = 0;
    p.onChange(() => changes++);
    const renewed = await workloadSvid(ca, 'orders');
    writeIdentityDir(dir, renewed, ca.pem);
    const deadline = Date.now() + 20_000;
    while (p.certificate()?.serial === first?.serial && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.notEqual(p.certificate()?.serial, first?.serial, 'the renewed certificate is served');
    assert.equal(p.certificate()?.certChainPem, renewed.certPem);
    assert.ok(changes >= 1);
    // A key that does not belong to the certificate: rejected, the last good set stays.
    const other = await workloadSvid(ca, 'orders');
    fs.writeFileSync(path.join(dir, 'key.pem'), other.keyPem);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(p.certificate()?.certChainPem, renewed.certPem);
    assert.equal(p.certificate()?.keyPem, renewed.keyPem);
  } finally {
    p.close();
  }
});
