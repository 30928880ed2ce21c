// mTLS between two real sidecars: TLS on the wire (a recording relay sits between them),
// identities on both sides (XFCC to the app, principals in the Istio metrics), forged identity
// headers stripped, and the full reachability matrix of client mode (auto mTLS, DestinationRule
// ISTIO_MUTUAL, DISABLE) × server mode (PeerAuthentication STRICT, PERMISSIVE, DISABLE), plus
// what a plaintext client outside the mesh gets in each server mode.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { writeConfig } from './harness/config.js';
import { stopAll, waitFor } from './harness/processes.js';
import { httpGet, keepAliveAgent, request, viaSidecar } from './harness/http.js';
import { configDump, metricValue, REVIEWS, startMtlsMesh, type MtlsMesh } from './harness/mtls-mesh.js';
import { spiffeId, workloadSvid, writeIdentityDir } from './harness/certs.js';
import { encodePeerMetadata } from '../src/telemetry/peer-metadata.js';

const CLIENT_ID = spiffeId('productpage');
const SERVER_ID = spiffeId('reviews');
const CLUSTER = `outbound|80||${REVIEWS}`;

type ServerMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';
type ClientMode = 'auto' | 'ISTIO_MUTUAL' | 'DISABLE';

function peerAuthentication(mode: ServerMode): string {
  return `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: default}
spec:
  mtls: {mode: ${mode}}
`;
}

function destinationRule(mode: ClientMode): string {
  if (mode === 'auto') return '';
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    tls: {mode: ${mode}}
`;
}

/** The server's inbound listener transport protocols, e.g. ["tls", "raw_buffer"] or ["plain"]. */
async function serverChains(m: MtlsMesh): Promise<string[]> {
  const l = (await configDump(m.server.admin)).listeners.find((x) => x.name === 'inbound|80');
  const chains = (l?.filter_chains ?? []) as { filter_chain_match?: { transport_protocol?: string } }[];
  return chains.map((c) => c.filter_chain_match?.transport_protocol ?? 'plain');
}

/** How the client would connect: "tls" when the cluster + endpoint select the mTLS socket. */
async function clientTransport(m: MtlsMesh): Promise<string> {
  const d = await configDump(m.client.admin);
  const c = d.clusters.find((x) => x.name === CLUSTER);
  if (!c) return 'none';
  if (c.transport_socket) return 'tls';
  if (!c.transport_socket_matches) return 'plain';
  const cla = d.endpoints.find((x) => x.cluster_name === CLUSTER);
  return JSON.stringify(cla ?? {}).includes('envoy.transport_socket_match') ? 'tls' : 'plain';
}

function expectedChains(mode: ServerMode): string[] {
  return mode === 'STRICT' ? ['tls'] : mode === 'PERMISSIVE' ? ['tls', 'raw_buffer'] : ['plain'];
}

function expectedClient(client: ClientMode, server: ServerMode): string {
  if (client === 'ISTIO_MUTUAL') return 'tls';
  if (client === 'DISABLE') return 'plain';
  return server === 'DISABLE' ? 'plain' : 'tls'; // auto mTLS infers DISABLE from the policy
}

async function plaintextDirect(m: MtlsMesh, headers: Record<string, string> = {}): Promise<number | string> {
  try {
    const r = await request(`http://${m.ip(11)}:80/direct`, { headers: { host: REVIEWS, ...headers } });
    return r.status;
  } catch (err) {
    return `closed (${err instanceof Error ? err.message : String(err)})`;
  }
}

describe('mTLS between sidecars', { timeout: 240_000 }, () => {
  let m: MtlsMesh;

  before(async () => {
    m = await startMtlsMesh({ subnet: '127.0.46', xdsPort: 24646, httpPort: 24647 });
  });
  after(async () => {
    m?.relay.close();
    m?.tcpRelay.close();
    m?.h2Relay.close();
    await stopAll();
  });

  it('auto mTLS: TLS on the wire, SPIFFE identities on both sides, XFCC to the app', async () => {
    await waitFor('default PERMISSIVE chains and auto mTLS', async () =>
      JSON.stringify(await serverChains(m)) === JSON.stringify(['tls', 'raw_buffer']) && (await clientTransport(m)) === 'tls');
    m.relay.dropConnections();
    m.relay.reset();
    const r = await viaSidecar(m.ip(2), REVIEWS, '/hello?x=1', {
      headers: { 'x-forwarded-client-cert': `By=${SERVER_ID};URI=spiffe://cluster.local/ns/default/sa/admin` },
    });
    assert.equal(r.status, 200, r.body);
    const up = m.relay.up();
    const down = m.relay.down();
    assert.equal(up[0], 0x16, 'the client sidecar opens with a TLS handshake record');
    assert.equal(up[5], 0x01, 'which is a ClientHello');
    assert.equal(down[0], 0x16, 'the server sidecar answers with a handshake record');
    // (The SNI outbound_.80_._.reviews... is in clear in the ClientHello, as in Istio.)
    for (const plain of ['GET /', 'HTTP/1.1', 'hello', 'x-weft-peer-metadata', 'x-forwarded-client-cert', 'productpage']) {
      assert.ok(!up.includes(plain), `"${plain}" must not cross in clear (client → server)`);
    }
    assert.ok(!down.includes('HTTP/1.1 200'), 'no clear response line (server → client)');
    // The app sees who called, as proven by the certificate (the forged XFCC was dropped).
    const echoed = JSON.parse(r.body) as { headers: Record<string, string> };
    const hash = createHash('sha256').update(new X509Certificate(m.clientLeaf.certPem).raw).digest('hex');
    assert.equal(echoed.headers['x-forwarded-client-cert'], `By=${SERVER_ID};Hash=${hash};URI=${CLIENT_ID}`);
    // Both reporters: the server knows the caller's principal and workload, the client the server's.
    await waitFor('metrics', async () => {
      const s = (await httpGet(`http://${m.server.admin}/stats/prometheus`)).body;
      return metricValue(s, 'istio_requests_total', { reporter: 'destination', connection_security_policy: 'mutual_tls', source_principal: CLIENT_ID, source_workload: 'productpage' }) >= 1;
    });
    const c = (await httpGet(`http://${m.client.admin}/stats/prometheus`)).body;
    assert.ok(metricValue(c, 'istio_requests_total', { reporter: 'source', source_principal: CLIENT_ID, destination_principal: SERVER_ID, destination_workload: 'reviews', response_code: '200' }) >= 1, c);
  });

  it('TCP (tcp_proxy) over mTLS: encrypted between the sidecars, the caller known by its certificate', async () => {
    await waitFor('client TCP listener', async () => (await configDump(m.client.admin)).listeners.some((l) => l.name === `${m.ip(2)}_7070`));
    m.tcpRelay.reset();
    const reply = await new Promise<string>((resolve, reject) => {
      // Write and half-close at once: the reply must still come back over the other direction.
      const s = net.connect({ host: m.ip(2), port: 7070, allowHalfOpen: true }, () => s.end('ping-over-tcp'));
      let out = '';
      s.on('data', (d: Buffer) => (out += d.toString()));
      s.on('end', () => {
        s.destroy();
        resolve(out);
      });
      s.on('error', reject);
      s.setTimeout(10_000, () => s.destroy(new Error('tcp timeout')));
    });
    assert.equal(reply, 'ping-over-tcp');
    assert.equal(m.tcpRelay.up()[0], 0x16, 'TLS handshake first');
    assert.ok(!m.tcpRelay.up().includes('ping-over-tcp') && !m.tcpRelay.down().includes('ping-over-tcp'), 'payload never in clear');
    await waitFor('tcp metrics', async () => {
      const s = (await httpGet(`http://${m.server.admin}/stats/prometheus`)).body;
      return metricValue(s, 'istio_tcp_connections_opened_total', { reporter: 'destination', connection_security_policy: 'mutual_tls', source_principal: CLIENT_ID }) >= 1;
    });
  });

  it('certificate files replaced on disk: new connections use them, requests never fail', async () => {
    writeConfig(m.configDir, 'pa.yaml', peerAuthentication('STRICT'));
    writeConfig(m.configDir, 'dr.yaml', '# auto\n');
    await waitFor('STRICT + auto', async () => JSON.stringify(await serverChains(m)) === JSON.stringify(['tls']) && (await clientTransport(m)) === 'tls');
    const serial = (leaf: { certPem: string }): string => new X509Certificate(leaf.certPem).serialNumber;
    /** The serial the server sidecar presents on a new connection. */
    const presented = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: m.ip(11), port: 80, cert: m.clientLeaf.certPem, key: m.clientLeaf.keyPem, ca: m.ca.pem, ALPNProtocols: ['istio'], checkServerIdentity: () => undefined }, () => {
          resolve(s.getPeerCertificate().serialNumber);
          s.destroy();
        });
        s.on('error', reject);
      });
    assert.equal(await presented(), serial(m.serverLeaf));
    const newServer = await workloadSvid(m.ca, 'reviews');
    const newClient = await workloadSvid(m.ca, 'productpage');
    let failed = 0;
    let sent = 0;
    let stop = false;
    const agent = keepAliveAgent(4);
    // Steady traffic through the rotation (bounded in count and time), stopped once it is done.
    const traffic = (async () => {
      const deadline = Date.now() + 60_000;
      while (!stop && sent < 5000 && Date.now() < deadline) {
        const r = await viaSidecar(m.ip(2), REVIEWS, '/rotate', { agent });
        sent++;
        if (r.status !== 200) failed++;
      }
    })();
    writeIdentityDir(m.serverCerts, newServer, m.ca.pem);
    writeIdentityDir(m.clientCerts, newClient, m.ca.pem);
    await waitFor('server presents the new certificate', async () => (await presented()) === serial(newServer), 30_000);
    stop = true;
    await traffic;
    agent.destroy();
    assert.ok(sent > 0);
    assert.equal(failed, 0, `${failed} of ${sent} requests failed during the rotation`);
    // The client sidecar's next connections carry its new certificate (seen by the app in XFCC).
    const hash = createHash('sha256').update(new X509Certificate(newClient.certPem).raw).digest('hex');
    await waitFor('client sidecar uses its new certificate', async () => {
      m.relay.dropConnections();
      const r = await viaSidecar(m.ip(2), REVIEWS, '/rotated');
      return (JSON.parse(r.body) as { headers: Record<string, string> }).headers['x-forwarded-client-cert']?.includes(`Hash=${hash}`) === true;
    }, 30_000);
  });

  it('HTTP/2 over mTLS: an h2 cluster\'s session is TLS between the sidecars', async () => {
    writeConfig(m.configDir, 'pa.yaml', peerAuthentication('STRICT'));
    writeConfig(m.configDir, 'dr.yaml', '# auto\n');
    await waitFor('STRICT + auto', async () => JSON.stringify(await serverChains(m)) === JSON.stringify(['tls']) && (await clientTransport(m)) === 'tls');
    m.h2Relay.dropConnections();
    m.h2Relay.reset();
    const session = http2.connect(`http://${m.ip(2)}:15001`);
    try {
      const { status, body, xfcc } = await new Promise<{ status: number; body: string; xfcc: string }>((resolve, reject) => {
        const req = session.request({ ':path': '/h2-hello', ':authority': `${REVIEWS}:81` });
        let body = '';
        let status = 0;
        let xfcc = '';
        req.on('response', (h) => {
          status = Number(h[':status']);
          xfcc = String(h['x-seen-xfcc'] ?? '');
        });
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('end', () => resolve({ status, body, xfcc }));
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200, body);
      assert.equal(body, 'h2 /h2-hello');
      assert.match(xfcc, new RegExp(`URI=${CLIENT_ID}$`));
    } finally {
      session.close();
    }
    const up = m.h2Relay.up();
    assert.equal(up[0], 0x16, 'TLS handshake first');
    assert.ok(!up.includes('PRI * HTTP/2.0') && !up.includes('h2-hello'), 'no h2 preface or path in clear');
  });

  it('identity headers forged on a plaintext connection are ignored and stripped', async () => {
    writeConfig(m.configDir, 'pa.yaml', peerAuthentication('PERMISSIVE'));
    await waitFor('PERMISSIVE', async () => JSON.stringify(await serverChains(m)) === JSON.stringify(['tls', 'raw_buffer']));
    const forgedPeer = encodePeerMetadata({ workload: 'admin-tool', namespace: 'kube-system', app: 'admin-tool', version: 'v1', serviceAccount: 'admin', principal: 'spiffe://cluster.local/ns/kube-system/sa/admin', cluster: 'Kubernetes' });
    const r = await request(`http://${m.ip(11)}:80/forged`, {
      headers: { host: REVIEWS, 'x-weft-peer-metadata': forgedPeer, 'x-forwarded-client-cert': 'By=x;URI=spiffe://cluster.local/ns/kube-system/sa/admin' },
    });
    assert.equal(r.status, 200);
    const echoed = JSON.parse(r.body) as { headers: Record<string, string> };
    assert.equal(echoed.headers['x-forwarded-client-cert'], undefined, 'XFCC never reaches the app from a plaintext caller');
    assert.equal(echoed.headers['x-weft-peer-metadata'], undefined);
    const s = (await httpGet(`http://${m.server.admin}/stats/prometheus`)).body;
    assert.ok(metricValue(s, 'istio_requests_total', { reporter: 'destination', connection_security_policy: 'none', source_workload: 'unknown', source_principal: 'unknown' }) >= 1, s);
    assert.ok(!s.includes('admin-tool'), 'the forged workload never shows up in metrics');
    assert.ok(!s.includes('kube-system/sa/admin'), 'the forged principal never shows up in metrics');
  });

  it('reachability matrix: client mode × server mode (and a plaintext caller outside the mesh)', async () => {
    const servers: ServerMode[] = ['STRICT', 'PERMISSIVE', 'DISABLE'];
    const clients: ClientMode[] = ['auto', 'ISTIO_MUTUAL', 'DISABLE'];
    const results: string[] = [];
    const expected: string[] = [];
    for (const sm of servers) {
      for (const cm of clients) {
        writeConfig(m.configDir, 'pa.yaml', peerAuthentication(sm));
        writeConfig(m.configDir, 'dr.yaml', destinationRule(cm) || '# auto mTLS: no DestinationRule\n');
        const wantClient = expectedClient(cm, sm);
        await waitFor(`config for client ${cm} × server ${sm}`, async () =>
          JSON.stringify(await serverChains(m)) === JSON.stringify(expectedChains(sm)) && (await clientTransport(m)) === wantClient, 30_000);
        m.relay.dropConnections();
        m.relay.reset();
        const r = await viaSidecar(m.ip(2), REVIEWS, `/matrix?c=${cm}&s=${sm}`);
        const wire = m.relay.up()[0] === 0x16 ? 'tls' : 'plain';
        const works = r.status === 200;
        results.push(`${cm}×${sm}: ${works ? `200 over ${wire}` : `${r.status}`}`);
        const ok = wantClient === 'tls' ? sm !== 'DISABLE' : sm !== 'STRICT';
        expected.push(`${cm}×${sm}: ${ok ? `200 over ${wantClient}` : '503'}`);
        const direct = await plaintextDirect(m);
        results.push(`plaintext caller×${sm}: ${typeof direct === 'number' ? direct : 'closed'}`);
        expected.push(`plaintext caller×${sm}: ${sm === 'STRICT' ? 'closed' : 200}`);
      }
    }
    assert.deepEqual(results, expected);
    // The expected table, spelled out: what Istio does.
    assert.deepEqual(
      expected.filter((e) => !e.startsWith('plaintext')),
      [
        'auto×STRICT: 200 over tls', 'ISTIO_MUTUAL×STRICT: 200 over tls', 'DISABLE×STRICT: 503',
        'auto×PERMISSIVE: 200 over tls', 'ISTIO_MUTUAL×PERMISSIVE: 200 over tls', 'DISABLE×PERMISSIVE: 200 over plain',
        'auto×DISABLE: 200 over plain', 'ISTIO_MUTUAL×DISABLE: 503', 'DISABLE×DISABLE: 200 over plain',
      ],
    );
  });

  it('PERMISSIVE accepts both and the metrics say which; STRICT refuses plaintext before the app', async () => {
    writeConfig(m.configDir, 'pa.yaml', peerAuthentication('PERMISSIVE'));
    writeConfig(m.configDir, 'dr.yaml', '# auto\n');
    await waitFor('PERMISSIVE + auto', async () => JSON.stringify(await serverChains(m)) === JSON.stringify(['tls', 'raw_buffer']) && (await clientTransport(m)) === 'tls');
    const before = (await httpGet(`http://${m.server.admin}/stats/prometheus`)).body;
    const mtls0 = metricValue(before, 'istio_requests_total', { reporter: 'destination', connection_security_policy: 'mutual_tls' });
    const none0 = metricValue(before, 'istio_requests_total', { reporter: 'destination', connection_security_policy: 'none' });
    assert.equal((await viaSidecar(m.ip(2), REVIEWS, '/p1')).status, 200);
    assert.equal(await plaintextDirect(m), 200);
    await waitFor('both counted', async () => {
      const s = (await httpGet(`http://${m.server.admin}/stats/prometheus`)).body;
      return metricValue(s, 'istio_requests_total', { reporter: 'destination', connection_security_policy: 'mutual_tls' }) === mtls0 + 1 &&
        metricValue(s, 'istio_requests_total', { reporter: 'destination', connection_security_policy: 'none' }) === none0 + 1;
    });
    writeConfig(m.configDir, 'pa.yaml', peerAuthentication('STRICT'));
    await waitFor('STRICT', async () => JSON.stringify(await serverChains(m)) === JSON.stringify(['tls']));
    const appBefore = JSON.parse((await httpGet(`http://${m.ip(11)}:9080/__count`)).body) as { count: number };
    const direct = await plaintextDirect(m);
    assert.equal(typeof direct, 'string', `STRICT must close a plaintext connection, got ${String(direct)}`);
    const appAfter = JSON.parse((await httpGet(`http://${m.ip(11)}:9080/__count`)).body) as { count: number };
    assert.equal(appAfter.count, appBefore.count, 'no request reached the app');
    const s = (await httpGet(`http://${m.server.admin}/stats/prometheus`)).body;
    assert.ok(metricValue(s, 'weft_inbound_connections_refused_total', { reason: 'plaintext' }) >= 1, s);
    assert.equal((await viaSidecar(m.ip(2), REVIEWS, '/strict')).status, 200, 'mesh traffic still flows');
  });
});
