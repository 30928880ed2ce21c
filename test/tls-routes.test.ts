// TLS passthrough routed by SNI through a real sidecar: two TLS backends (node:tls, a self-signed
// certificate made by `openssl` at test time) behind MESH_EXTERNAL ServiceEntries on one port. A
// client connects to its own sidecar's outbound listener <instance-ip>:<port>; the sidecar never
// terminates TLS: it reads the ClientHello's SNI, picks the filter chain (a service's own host, a
// VirtualService `tls` route's sniHosts, or the default chain) and replays the peeked bytes, so the
// handshake completes end to end with the backend's certificate.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { allSynced, writeConfig } from './harness/config.js';
import { startControlPlane, startProxy, stopAll, tempDir, waitFor } from './harness/processes.js';
import { httpGet } from './harness/http.js';

const SUBNET = '127.0.37';
const ip = (n: number): string => `${SUBNET}.${n}`;
const PORT = 8443;
const CLIENT = ip(2);

const CONFIG = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: tls-api, protocol: TLS}]
  endpoints: [{address: ${ip(11)}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: default}
spec:
  hosts: [web.example.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: ${PORT}, name: https-web, protocol: HTTPS}]
  endpoints: [{address: ${ip(12)}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.internal]
  tls:
  - match: [{sniHosts: ["*.canary.example.internal"]}]
    route:
    - destination: {host: web.example.internal, port: {number: ${PORT}}}
`;

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A self-signed certificate for `cn`, made by openssl (node cannot create X.509 certificates). */
function selfSigned(dir: string, cn: string): { key: Buffer; cert: Buffer } {
  const key = path.join(dir, `${cn}.key`);
  const cert = path.join(dir, `${cn}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

interface Backend {
  name: string;
  /** TCP connections accepted (TLS or not). */
  connections: number;
  /** SNI values of completed handshakes. */
  snis: string[];
  close: () => void;
}

async function startBackend(name: string, host: string, creds: { key: Buffer; cert: Buffer }): Promise<Backend> {
  const b: Backend = { name, connections: 0, snis: [], close: () => undefined };
  const srv = tls.createServer({ ...creds }, (s) => {
    b.snis.push((s as tls.TLSSocket & { servername?: string | false }).servername || '');
    s.end(`served-by ${name}`);
  });
  srv.on('connection', () => b.connections++);
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => srv.listen(PORT, host, r));
  b.close = () => srv.close();
  return b;
}

/** A TLS connection through the sidecar: the backend's answer and the certificate's CN. */
async function tlsThroughSidecar(servername: string | undefined): Promise<{ body: string; cn: string }> {
  const sock = tls.connect({ host: CLIENT, port: PORT, rejectUnauthorized: false, ...(servername !== undefined ? { servername } : {}) });
  const chunks: Buffer[] = [];
  let cn = '';
  sock.on('secureConnect', () => (cn = String(sock.getPeerCertificate().subject.CN)));
  sock.on('data', (d: Buffer) => chunks.push(d));
  await new Promise<void>((resolve, reject) => {
    sock.once('end', () => resolve());
    sock.once('error', reject);
  });
  sock.destroy();
  return { body: Buffer.concat(chunks).toString(), cn };
}

describe('tls passthrough routed by sni', { timeout: 120_000 }, () => {
  let api: Backend;
  let web: Backend;
  let admin = '';

  before(async () => {
    // A missing tool fails the test with a clear message (scripts/ci.sh installs openssl).
    if (!haveOpenssl()) throw new Error('openssl is required to make test certificates: apt-get install openssl');
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    const certDir = tempDir('certs');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'base.yaml', CONFIG);
    api = await startBackend('api', ip(11), selfSigned(certDir, 'api.example.internal'));
    web = await startBackend('web', ip(12), selfSigned(certDir, 'web.example.internal'));
    const cp = await startControlPlane({ configDir, stateDir, xdsPort: 26410, httpPort: 26414 });
    const client = await startProxy({ xds: cp.xds, ip: CLIENT, name: 'client-0', workload: 'client', labels: { app: 'client', version: 'v1' } });
    admin = client.admin;
    await waitFor('client synced with the tls listener', async () => {
      if (!(await allSynced(cp.http, 1))) return false;
      return (await httpGet(`http://${admin}/config_dump`)).body.includes('server_names');
    });
    await waitFor('tls listener bound', () => new Promise<boolean>((r) => {
      const s = net.connect({ host: CLIENT, port: PORT }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    }));
  });
  after(async () => {
    api.close();
    web.close();
    await stopAll();
  });

  it('each-service-host-reaches-its-own-backend-end-to-end', async () => {
    assert.deepEqual(await tlsThroughSidecar('api.example.internal'), { body: 'served-by api', cn: 'api.example.internal' });
    assert.deepEqual(await tlsThroughSidecar('WEB.example.internal'), { body: 'served-by web', cn: 'web.example.internal' });
    assert.ok(api.snis.includes('api.example.internal'), 'the backend saw the client’s own ClientHello (SNI intact)');
    assert.ok(web.snis.map((s) => s.toLowerCase()).includes('web.example.internal'));
  });

  it('virtual-service-tls-route-matches-wildcard-sni-hosts', async () => {
    const r = await tlsThroughSidecar('eu.canary.example.internal');
    assert.deepEqual(r, { body: 'served-by web', cn: 'web.example.internal' });
    assert.equal(web.snis.at(-1), 'eu.canary.example.internal');
  });

  it('no-sni-and-unknown-sni-take-the-default-chain', async () => {
    // No SNI (node:tls sends none for an IP address) and an SNI no chain names: the default
    // chain, the first service by host name (api).
    assert.equal((await tlsThroughSidecar(undefined)).body, 'served-by api');
    assert.equal((await tlsThroughSidecar('unknown.example.org')).body, 'served-by api');
  });

  it('non-tls-bytes-go-to-the-default-chain-unchanged', async () => {
    const before = { api: api.connections, web: web.connections };
    const sock = net.connect({ host: CLIENT, port: PORT });
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', r));
    sock.write('hello, not tls\r\n');
    // The TLS server rejects the bytes and closes: the connection was routed to api.
    await new Promise<void>((r) => (sock.destroyed ? r() : sock.once('close', () => r())));
    await waitFor('default backend saw the connection', () => api.connections === before.api + 1, 5000);
    assert.equal(web.connections, before.web);
  });

  it('tcp-metrics-count-connections-per-destination-service', async () => {
    await waitFor('tls connections counted', async () => {
      const body = (await httpGet(`http://${admin}/stats/prometheus`)).body;
      return /istio_tcp_connections_closed_total\{[^}]*destination_service="web\.example\.internal"[^}]*\} [1-9]/.test(body);
    }, 5000);
  });
});
