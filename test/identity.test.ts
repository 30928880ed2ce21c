// Workload identity end to end: a real control plane (CA on its TLS port, ROOTCA over SDS) and real
// proxies. A proxy gets an SVID for the identity its bootstrap token maps to and is not ready
// before; a short TTL renews at half life without a restart; a root rotation reaches the proxy's
// trust bundle over SDS and moves its certificate to the new root early; leaves from the old and
// the new root verify each other during the overlap (node:tls handshakes); the old root leaves
// after the overlap; no private key or token shows in dumps, admin output, logs or the CA state;
// `weft proxy-config secret` and `weft ca` show it all. Subnet 127.0.44.0/24.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { startProcess, stopAll, tempDir, waitFor, type Proc } from './harness/processes.js';
import { CONTROL_MAIN, PROXY_MAIN } from './harness/repo.js';
import { httpGet } from './harness/http.js';
import { writeBootstrapTokens } from '../src/control/ca/authenticator.js';
import { CertificateManager } from '../src/proxy/security/cert-manager.js';
import { splitPemCerts } from '../src/security/x509.js';
import type { CertManagerStatus } from '../src/proxy/security/cert-manager.js';
import { run, type Io } from '../src/cli/main.js';

const CP_IP = '127.0.44.1';
const CP_HTTP = `${CP_IP}:15014`;
const CA_ADDR = `${CP_IP}:15012`;

async function certs(ip: string): Promise<CertManagerStatus> {
  const r = await httpGet(`http://${ip}:15000/certs`);
  assert.equal(r.status, 200);
  const id = (JSON.parse(r.body) as { identity: CertManagerStatus | null }).identity;
  assert.ok(id, 'proxy has an identity');
  return id;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), stdin: process.stdin, env: {} };
  const code = await run(['--control-plane', CP_HTTP, ...args], io);
  return { code, out, err };
}

/** Does a TLS handshake where each side presents its own SVID and trusts `ca`. */
function handshake(server: { cert: string; key: string }, client: { cert: string; key: string }, ca: string): Promise<{ serverSawClient: boolean; clientAuthorized: boolean; error?: string }> {
  return new Promise((resolve) => {
    let serverSawClient = false;
    const srv = tls.createServer({ cert: server.cert, key: server.key, ca, requestCert: true, rejectUnauthorized: true }, (s) => {
      serverSawClient = s.authorized;
      s.end('ok');
    });
    srv.on('tlsClientError', () => undefined);
    srv.listen(0, '127.0.44.200', () => {
      const port = (srv.address() as { port: number }).port;
      const c = tls.connect({ host: '127.0.44.200', port, cert: client.cert, key: client.key, ca, checkServerIdentity: () => undefined, rejectUnauthorized: true });
      let finished = false;
      const done = (r: { serverSawClient: boolean; clientAuthorized: boolean; error?: string }): void => {
        if (finished) return;
        finished = true;
        c.destroy();
        srv.close();
        resolve(r);
      };
      c.on('data', () => done({ serverSawClient, clientAuthorized: c.authorized }));
      c.on('error', (e) => done({ serverSawClient, clientAuthorized: false, error: e.message }));
      c.on('close', () => done({ serverSawClient, clientAuthorized: false, error: 'closed before data' }));
      c.setTimeout(10_000, () => done({ serverSawClient, clientAuthorized: false, error: 'timed out' }));
    });
  });
}

describe('workload identity: CA, CSR flow, renewal, SDS trust bundle, root rotation', { timeout: 300_000 }, () => {
  let stateDir: string;
  let cp: Proc;
  let orders: Proc;
  let shortLived: Proc;
  let tokenFiles: Map<string, string>;
  const logs: string[] = [];
  const managers: CertificateManager[] = [];

  const proxy = (ip: string, name: string, sa: string, extra: string[]): Proc =>
    startProcess([
      PROXY_MAIN, '--xds-address', `${CP_IP}:15010`, '--type', 'sidecar', '--ip', ip, '--name', name,
      '--workload', name.replace(/-\d+$/, ''), '--namespace', 'default', '--service-account', sa,
      ...extra,
    ]);

  before(async () => {
    stateDir = tempDir('identity-state');
    const configDir = tempDir('identity-config');
    tokenFiles = writeBootstrapTokens(stateDir, [
      { namespace: 'default', workload: 'orders', serviceAccount: 'orders' },
      { namespace: 'default', workload: 'cart', serviceAccount: 'cart' },
    ]);
    cp = startProcess([
      CONTROL_MAIN, '--config-dir', configDir, '--state-dir', stateDir,
      '--xds-address', `${CP_IP}:15010`, '--http-address', CP_HTTP, '--secure-xds-address', CA_ADDR,
      '--debounce-after-ms', '50', '--debounce-max-ms', '2000',
    ]);
    await waitFor('control plane ready', () => cp.output().includes('weft-control-plane ready'), 20_000, cp);
    const bundleFile = path.join(stateDir, 'ca', 'trust-bundle.pem');
    const identity = (workload: string): string[] => ['--ca-address', CA_ADDR, '--ca-root-file', bundleFile, '--token-file', tokenFiles.get(`default/${workload}`) ?? ''];
    orders = proxy('127.0.44.11', 'orders-0', 'orders', identity('orders'));
    shortLived = proxy('127.0.44.12', 'cart-0', 'cart', [...identity('cart'), '--cert-ttl', '10']);
    for (const [p, ip] of [[orders, '127.0.44.11'], [shortLived, '127.0.44.12']] as const) {
      await waitFor(`proxy ${ip} ready`, async () => (await httpGet(`http://${ip}:15000/ready`)).status === 200, 30_000, p);
    }
  });

  after(async () => {
    for (const m of managers) m.stop();
    logs.push(cp?.output() ?? '', orders?.output() ?? '', shortLived?.output() ?? '');
    await stopAll();
  });

  it('a proxy obtains an SVID for the identity its token maps to, chained to the root it got over SDS', async () => {
    const id = await certs('127.0.44.11');
    assert.equal(id.spiffeId, 'spiffe://cluster.local/ns/default/sa/orders');
    assert.equal(id.chain.length, 1);
    assert.deepEqual(id.chain[0]?.uriSans, ['spiffe://cluster.local/ns/default/sa/orders']);
    assert.equal(id.chain[0]?.isCA, false);
    assert.equal(id.trustBundle.length, 1, 'ROOTCA over SDS');
    const root = new X509Certificate(fs.readFileSync(path.join(stateDir, 'ca', 'root-cert.pem')));
    assert.equal(id.trustBundle[0]?.serial, root.serialNumber.toUpperCase());
    assert.equal(id.chain[0]?.issuer, root.subject.replace(/\n/g, ', '));
    const life = new Date(id.chain[0]!.notAfter).getTime() - Date.now();
    assert.ok(life > 23 * 3600 * 1000 && life <= 24 * 3600 * 1000 + 5000, 'default TTL 24 h');
    const cart = await certs('127.0.44.12');
    assert.equal(cart.spiffeId, 'spiffe://cluster.local/ns/default/sa/cart');
  });

  it('a proxy whose token the CA does not know is not ready and gets no certificate', async () => {
    const bogus = path.join(stateDir, 'bogus.token');
    fs.writeFileSync(bogus, 'definitely-not-a-token\n', { mode: 0o600 });
    const p = proxy('127.0.44.13', 'bogus-0', 'orders', ['--ca-address', CA_ADDR, '--ca-root-file', path.join(stateDir, 'ca', 'trust-bundle.pem'), '--token-file', bogus]);
    await waitFor('the CA refuses the bogus token', () => /UNAUTHENTICATED/.test(p.output()), 20_000, p);
    const r = await httpGet('http://127.0.44.13:15000/ready');
    assert.equal(r.status, 503);
    assert.match(r.body, /waiting for the workload certificate/);
    assert.ok(!p.output().includes('definitely-not-a-token'), 'the token is not logged');
    logs.push(p.output());
    await p.stop();
  });

  it('a short-lived certificate is renewed at about half its life, without a restart', async () => {
    const first = await certs('127.0.44.12');
    const pid = shortLived.child.pid;
    const life = new Date(first.notAfter!).getTime() - new Date(first.notBefore!).getTime();
    assert.ok(life >= 10_000 && life <= 12_000, `asked-for 10 s TTL (life ${life} ms)`);
    const renewAt = new Date(first.renewAt!).getTime();
    const half = new Date(first.notBefore!).getTime() + life / 2;
    // At half life minus jitter; later only if the certificate itself arrived after that point.
    assert.ok(renewAt >= half - life * 0.05 - 1000, `renewal not before half life minus jitter (${first.renewAt})`);
    assert.ok(renewAt <= Math.max(half + 50, Date.now()), `renewal due at half life (${first.renewAt})`);
    let next = first;
    await waitFor('a new serial', async () => {
      next = await certs('127.0.44.12');
      return next.serial !== first.serial;
    }, 30_000, shortLived);
    assert.equal(shortLived.child.pid, pid);
    assert.ok(new Date(next.notAfter!).getTime() > new Date(first.notAfter!).getTime());
    assert.ok(new Date(next.notBefore!).getTime() < new Date(first.notAfter!).getTime(), 'the new certificate was issued before the old one expired');
    assert.equal((await httpGet('http://127.0.44.12:15000/ready')).status, 200);
  });

  it('root rotation: SDS carries both roots, proxies renew early onto the new root, old and new leaves verify each other, then the old root leaves', async () => {
    const caRoots = fs.readFileSync(path.join(stateDir, 'ca', 'trust-bundle.pem'), 'utf8');
    const mgr = (token: string): CertificateManager => {
      const m = new CertificateManager({ caAddress: CA_ADDR, caRootsPem: fs.readFileSync(path.join(stateDir, 'ca', 'trust-bundle.pem'), 'utf8'), tokenFile: token, log: () => undefined });
      managers.push(m);
      m.start();
      return m;
    };
    // An in-process manager with a leaf from the old root (it gets no SDS, so it stays there).
    const oldSide = mgr(tokenFiles.get('default/cart')!);
    await waitFor('old-root leaf', () => oldSide.certificate() !== null, 20_000);
    const before = await certs('127.0.44.11');

    const rotated = await cli(['ca', 'rotate-root', '--overlap', '8s']);
    assert.equal(rotated.code, 0, rotated.err);
    assert.match(rotated.out, /root rotated/);
    assert.match(rotated.out, /RETIRING until/);

    let during = before;
    await waitFor('both roots reach the proxy over SDS and it renews onto the new root', async () => {
      during = await certs('127.0.44.11');
      return during.trustBundle.length === 2 && during.serial !== before.serial;
    }, 20_000, orders);
    const bundle = fs.readFileSync(path.join(stateDir, 'ca', 'trust-bundle.pem'), 'utf8');
    assert.equal(splitPemCerts(bundle).length, 2);
    const [newRoot, oldRoot] = splitPemCerts(bundle).map((p) => new X509Certificate(p));
    assert.equal(oldRoot!.toString().trim(), caRoots.trim(), 'the old root is still trusted');
    // The proxy moved early: the 24 h certificate was replaced long before half its life.
    assert.ok(new Date(during.notAfter!).getTime() - Date.now() > 23 * 3600 * 1000);
    assert.equal(during.chain[0]?.issuer, newRoot!.subject.replace(/\n/g, ', '));

    const newSide = mgr(tokenFiles.get('default/orders')!);
    await waitFor('new-root leaf', () => newSide.certificate() !== null, 20_000);
    const o = oldSide.certificate()!;
    const n = newSide.certificate()!;
    assert.ok(new X509Certificate(o.certChainPem).verify(oldRoot!.publicKey), 'old-side leaf from the old root');
    assert.ok(new X509Certificate(n.certChainPem).verify(newRoot!.publicKey), 'new-side leaf from the new root');
    const oldKey = { cert: o.certChainPem, key: o.keyPem };
    const newKey = { cert: n.certChainPem, key: n.keyPem };
    for (const [server, client] of [[oldKey, newKey], [newKey, oldKey]] as const) {
      const r = await handshake(server, client, bundle);
      assert.equal(r.error, undefined);
      assert.ok(r.clientAuthorized && r.serverSawClient, 'mutual verification during the overlap');
    }
    // The check can fail: trusting only the old root, the new leaf is refused.
    const onlyOld = await handshake(oldKey, newKey, caRoots);
    assert.ok(!onlyOld.serverSawClient || !onlyOld.clientAuthorized);

    await waitFor('the old root leaves the bundle after the overlap', async () => (await certs('127.0.44.11')).trustBundle.length === 1, 30_000, orders);
    const status = await cli(['ca', 'status', '-o', 'json']);
    assert.equal(status.code, 0, status.err);
    const s = JSON.parse(status.out) as { roots: Array<{ serial: string; active: boolean }> };
    assert.deepEqual(s.roots.map((r) => [r.serial, r.active]), [[newRoot!.serialNumber.toUpperCase(), true]]);
    // Keys never reached the CA: nothing in its state dir or log holds them.
    for (const m of [oldSide, newSide]) {
      // Skip the PKCS#8 header every P-256 key shares; this is the secret scalar's text.
      const body = m.certificate()!.keyPem.split('\n').slice(1, -2).join('').slice(48, 90);
      assert.ok(!cp.output().includes(body), 'key not in the control plane log');
      for (const f of walk(stateDir)) assert.ok(!fs.readFileSync(f, 'utf8').includes(body), `key not in ${f}`);
    }
  });

  it('weft proxy-config secret shows chain, SPIFFE ID, serial, validity and roots, never keys', async () => {
    const id = await certs('127.0.44.11');
    const table = await cli(['proxy-config', 'secret', 'orders-0']);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /RESOURCE NAME\s+TYPE\s+IDENTITY \/ SUBJECT\s+SERIAL NUMBER\s+NOT BEFORE\s+NOT AFTER\s+VALID/);
    assert.match(table.out, new RegExp(`default\\s+Cert Chain\\s+spiffe://cluster\\.local/ns/default/sa/orders\\s+${id.serial}\\s+\\S+\\s+${id.notAfter}\\s+true`));
    assert.match(table.out, new RegExp(`ROOTCA\\s+CA\\s+.*${id.trustBundle[0]!.serial}`));
    const json = await cli(['proxy-config', 'secret', 'orders-0.default', '-o', 'json']);
    assert.equal(json.code, 0, json.err);
    const parsed = JSON.parse(json.out) as { identity: CertManagerStatus };
    assert.equal(parsed.identity.spiffeId, id.spiffeId);
    assert.equal(parsed.identity.serial, id.serial);
    const missing = await cli(['proxy-config', 'secret', 'nobody']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no connected proxy "nobody"/);
  });

  it('no private key or token appears in dumps, admin output, logs or the CA state', async () => {
    const outputs: string[] = [];
    for (const ip of ['127.0.44.11', '127.0.44.12']) {
      for (const p of ['/config_dump', '/certs', '/stats/prometheus', '/clusters', '/listeners']) outputs.push((await httpGet(`http://${ip}:15000${p}`)).body);
    }
    for (const p of ['/debug/syncz', '/debug/ca', '/metrics', '/debug/config_dump?proxy=orders-0']) outputs.push((await httpGet(`http://${CP_HTTP}${p}`)).body);
    outputs.push(cp.output(), orders.output(), shortLived.output(), ...logs);
    const tokens = [...tokenFiles.values()].map((f) => fs.readFileSync(f, 'utf8').trim());
    for (const text of outputs) {
      assert.ok(!/PRIVATE KEY/.test(text), 'no PEM private key');
      assert.ok(!/"keyPem"|"key_pem"|private_key/.test(text), 'no key fields');
      for (const t of tokens) assert.ok(!text.includes(t), 'no bootstrap token');
    }
    // The CA state holds exactly one private key: the active root's, mode 0600.
    const withKeys = walk(stateDir).filter((f) => fs.readFileSync(f, 'utf8').includes('PRIVATE KEY'));
    assert.deepEqual(withKeys, [path.join(stateDir, 'ca', 'root-key.pem')]);
    assert.equal(fs.statSync(withKeys[0]!).mode & 0o777, 0o600);
  });
});

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
