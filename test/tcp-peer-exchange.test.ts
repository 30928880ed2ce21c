// TCP metadata exchange between two real sidecars over mesh mTLS (ALPN istio-peer-exchange): the
// destination reporter knows the source workload, the source reporter the destination workload
// and principal, the exchange frames are not counted as app bytes; a caller that sends no frame
// or a malformed one still gets its bytes through (unknown workload, principal from the cert).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { stopAll, waitFor } from './harness/processes.js';
import { httpGet } from './harness/http.js';
import { configDump, metricValue, startMtlsMesh, type MtlsMesh } from './harness/mtls-mesh.js';
import { spiffeId } from './harness/certs.js';
import { parsePeerFrame, PEER_EXCHANGE_MAGIC } from '../src/proxy/network/peer-exchange.js';
import { applyConfig } from './harness/config.js';

const CLIENT_ID = spiffeId('productpage');
const SERVER_ID = spiffeId('reviews');

async function metrics(admin: string): Promise<string> {
  return (await httpGet(`http://${admin}/stats/prometheus`)).body;
}

/** Sends `payload` (then half-closes) and returns everything that came back until the end. */
function roundTrip(connect: () => net.Socket, payload: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect();
    const chunks: Buffer[] = [];
    s.once(s instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => s.end(payload));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => {
      s.destroy();
      resolve(Buffer.concat(chunks));
    });
    s.on('error', reject);
    s.setTimeout(15_000, () => s.destroy(new Error(`tcp timeout (got ${Buffer.concat(chunks).length} bytes)`)));
  });
}

describe('TCP metadata exchange (istio-peer-exchange)', { timeout: 120_000 }, () => {
  let m: MtlsMesh;

  before(async () => {
    m = await startMtlsMesh({ subnet: '127.0.59', xdsPort: 24659, httpPort: 24660, cpHost: '127.0.59.1' });
    await waitFor('client TCP listener', async () => (await configDump(m.client.admin)).listeners.some((l) => l.name === `${m.ip(2)}_7070`));
  });

  after(async () => {
    m?.relay.close();
    m?.tcpRelay.close();
    m?.h2Relay.close();
    await stopAll();
  });

  it('sidecar to sidecar: both reporters know both workloads; frames are not app bytes', async () => {
    const payload = 'exchange-payload-0123456789'; // 27 bytes
    const reply = await roundTrip(() => net.connect({ host: m.ip(2), port: 7070, allowHalfOpen: true }), payload);
    assert.equal(reply.toString(), payload, 'the echo app gets exactly the app bytes');
    const dst = { reporter: 'destination', source_workload: 'productpage', source_app: 'productpage', source_principal: CLIENT_ID, destination_workload: 'reviews', connection_security_policy: 'mutual_tls', request_protocol: 'tcp' };
    await waitFor('destination reporter: closed with the source workload', async () => metricValue(await metrics(m.server.admin), 'istio_tcp_connections_closed_total', dst) >= 1);
    const s = await metrics(m.server.admin);
    assert.equal(metricValue(s, 'istio_tcp_connections_opened_total', dst), 1, s);
    assert.equal(metricValue(s, 'istio_tcp_received_bytes_total', dst), payload.length, 'frame bytes not counted (destination, received)');
    assert.equal(metricValue(s, 'istio_tcp_sent_bytes_total', dst), payload.length, 'frame bytes not counted (destination, sent)');
    assert.equal(metricValue(s, 'istio_tcp_connections_opened_total', { reporter: 'destination', source_workload: 'unknown' }), 0, s);
    const src = { reporter: 'source', source_workload: 'productpage', destination_workload: 'reviews', destination_app: 'reviews', destination_principal: SERVER_ID, request_protocol: 'tcp' };
    await waitFor('source reporter: closed with the destination principal', async () => metricValue(await metrics(m.client.admin), 'istio_tcp_connections_closed_total', src) >= 1);
    const c = await metrics(m.client.admin);
    assert.equal(metricValue(c, 'istio_tcp_received_bytes_total', src), payload.length, c);
    assert.equal(metricValue(c, 'istio_tcp_sent_bytes_total', src), payload.length, c);
  });

  /** A TLS client with the productpage certificate that speaks to the server sidecar directly. */
  const meshClient = (): tls.TLSSocket =>
    tls.connect({
      host: m.ip(11),
      port: 7070,
      cert: m.clientLeaf.certPem,
      key: m.clientLeaf.keyPem,
      ca: m.ca.pem,
      ALPNProtocols: ['istio-peer-exchange'],
      checkServerIdentity: () => undefined,
    });

  it('a caller that sends no frame: its bytes reach the app, source workload unknown, principal from the cert', async () => {
    const before = metricValue(await metrics(m.server.admin), 'istio_tcp_connections_closed_total', { reporter: 'destination', source_workload: 'unknown', source_principal: CLIENT_ID });
    const reply = await roundTrip(meshClient, 'no-frame-here');
    // The server sidecar's own frame comes first (it announces reviews), then the echo.
    const r = parsePeerFrame(reply);
    assert.equal(r.kind, 'peer');
    if (r.kind !== 'peer') return;
    assert.equal(r.peer?.workload, 'reviews');
    assert.equal(r.rest.toString(), 'no-frame-here');
    await waitFor('recorded with an unknown workload', async () =>
      metricValue(await metrics(m.server.admin), 'istio_tcp_connections_closed_total', { reporter: 'destination', source_workload: 'unknown', source_principal: CLIENT_ID }) > before,
    );
  });

  it('a frame whose payload is garbage: consumed, the app bytes after it still delivered', async () => {
    const junk = Buffer.from('%%%%garbage%%%%');
    const head = Buffer.alloc(8);
    head.writeUInt32BE(PEER_EXCHANGE_MAGIC, 0);
    head.writeUInt32BE(junk.length, 4);
    const reply = await roundTrip(meshClient, Buffer.concat([head, junk, Buffer.from('after-junk')]));
    const r = parsePeerFrame(reply);
    assert.equal(r.kind, 'peer');
    if (r.kind !== 'peer') return;
    assert.equal(r.rest.toString(), 'after-junk');
    // The server sidecar is still healthy: a normal exchange works after it.
    const again = await roundTrip(() => net.connect({ host: m.ip(2), port: 7070, allowHalfOpen: true }), 'still-fine');
    assert.equal(again.toString(), 'still-fine');
  });

  // Last: it changes the client's TCP metrics for good.
  it('Telemetry overrides reach the TCP metrics: a disabled metric, a removed tag, an added one (client only)', async () => {
    const r = await applyConfig(m.cp.http, `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: tcp-overrides, namespace: default}
spec:
  selector: {matchLabels: {app: productpage}}
  metrics:
  - overrides:
    - match: {metric: TCP_SENT_BYTES, mode: CLIENT}
      disabled: true
    - match: {metric: ALL_METRICS}
      tagOverrides:
        destination_version: {operation: REMOVE}
        tier: {value: "'gold'"}
`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await waitFor('client TCP listener has the istio.stats network filter', async () => {
      const l = (await configDump(m.client.admin)).listeners.find((x) => x.name === `${m.ip(2)}_7070`);
      return l !== undefined && JSON.stringify(l).includes('istio.stats');
    });
    const reply = await roundTrip(() => net.connect({ host: m.ip(2), port: 7070, allowHalfOpen: true }), 'overridden');
    assert.equal(reply.toString(), 'overridden');
    const src = { reporter: 'source', destination_workload: 'reviews', tier: 'gold' };
    await waitFor('source reporter: closed, with the added tag', async () => metricValue(await metrics(m.client.admin), 'istio_tcp_connections_closed_total', src) >= 1);
    const c = await metrics(m.client.admin);
    assert.equal(metricValue(c, 'istio_tcp_received_bytes_total', src), 'overridden'.length, c);
    assert.ok(!/^istio_tcp_sent_bytes_total/m.test(c), 'istio_tcp_sent_bytes_total is disabled on the client');
    const opened = c.split('\n').filter((l) => l.startsWith('istio_tcp_connections_opened_total{'));
    assert.ok(opened.length > 0 && opened.every((l) => !l.includes('destination_version=') && l.includes('tier="gold"')), opened.join('\n'));
    // The server was not selected: Istio's standard TCP labels, every metric there.
    const s = await metrics(m.server.admin);
    assert.ok(/^istio_tcp_sent_bytes_total\{[^}]*destination_version=/m.test(s), 'server keeps the standard set');
    assert.ok(!s.includes('tier="gold"'));
  });
});
