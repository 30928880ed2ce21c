// The TCP proxy's upstream side on real loopback sockets: max_connections (over it: the pending
// queue, then UO; the slot given back on close), outlier results of connects (failures eject, a success resets the count),
// and the connection timers (idle_timeout closes without a flag, max_downstream_connection_duration
// with DT), seen in Istio's TCP metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { connectTcpUpstream, type TcpUpstreamResult } from './tcp-upstream.js';
import { TcpProxy } from './tcp-proxy.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { decodeCluster } from '../config/decode-cluster.js';
import type { J } from '../config/check.js';
import type { ListenerConfig, TcpProxyConfig } from '../config/types.js';
import { NO_HCM } from '../config/decode-tcp-proxy.js';
import { Registry } from '../../telemetry/prom.js';
import { TcpMetrics } from '../telemetry/tcp-metrics.js';
import { findSamples, parseExposition } from '../../telemetry/exposition-parser.js';

const HOST = '127.0.43.1';
const NAME = 'outbound|7000||svc.default.svc.cluster.local';

async function echoServer(): Promise<{ port: number; close: () => void; open: () => number; accepted: () => number }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const srv = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.on('data', (d: Buffer) => s.write(d));
  });
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    open: () => sockets.size,
    accepted: () => accepted,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = await echoServer();
  s.close();
  return s.port;
}

function manager(ports: number[], extra: J = {}): ClusterManager {
  const cm = new ClusterManager();
  const lb_endpoints = ports.map((p) => ({ endpoint: { address: { socket_address: { address: HOST, port_value: p } } } }));
  cm.setClusters(new Map([[NAME, decodeCluster({ name: NAME, type: 'STATIC', connect_timeout: '5s', lb_policy: 'ROUND_ROBIN', load_assignment: { cluster_name: NAME, endpoints: [{ lb_endpoints }] }, ...extra })]]));
  return cm;
}

function connect(cm: ClusterManager, port?: number): Promise<TcpUpstreamResult> {
  const c = cm.get(NAME)!;
  const host = port === undefined ? c.pick()! : c.hosts.find((h) => h.port === port)!;
  return new Promise((resolve) => connectTcpUpstream(c, host, resolve));
}

test('tcp-max-connections-queue-up-to-max-pending-then-UO-and-slots-free-on-close', async () => {
  const srv = await echoServer();
  const cm = manager([srv.port], { circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 1 }] } });
  const pool = cm.get(NAME)!.pool;
  const first = await connect(cm);
  assert.ok(first.ok);
  // The second waits in the pending queue (a max_connections overflow), the third overflows it.
  let secondDone = false;
  const second = connect(cm).finally(() => (secondDone = true));
  assert.equal(pool.pending, 1);
  assert.equal(pool.cxOverflows, 1);
  const third = await connect(cm);
  assert.deepEqual(third.ok ? 'connected' : third.flag, 'UO');
  assert.equal(pool.overflows, 1, 'counted as a pending overflow');
  assert.equal(secondDone, false, 'the queued connection still waits');
  assert.equal(srv.open(), 1);
  // A queued connection whose downstream goes away leaves the queue.
  const c = cm.get(NAME)!;
  let gaveUpDone = false;
  const cancel = connectTcpUpstream(c, c.pick()!, () => (gaveUpDone = true));
  assert.equal(gaveUpDone, true, 'the queue (1) was full: UO at once');
  cancel();
  // The first closes: its slot goes to the queued one.
  first.socket.destroy();
  const r2 = await second;
  assert.ok(r2.ok, 'the queued connection got the freed slot');
  assert.equal(pool.pending, 0);
  r2.socket.destroy();
  await new Promise<void>((r) => r2.socket.once('close', () => r()));
  const again = await connect(cm);
  assert.ok(again.ok, 'the slot was given back');
  again.socket.destroy();
  srv.close();
});

test('tcp-queued-connection-cancelled-before-its-turn-never-connects', async () => {
  const srv = await echoServer();
  const cm = manager([srv.port], { circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 5 }] } });
  const c = cm.get(NAME)!;
  const first = await connect(cm);
  assert.ok(first.ok);
  let called = false;
  const cancel = connectTcpUpstream(c, c.pick()!, () => (called = true));
  assert.equal(c.pool.pending, 1);
  cancel();
  assert.equal(c.pool.pending, 0);
  first.socket.destroy();
  await new Promise<void>((r) => first.socket.once('close', () => r()));
  const next = await connect(cm);
  assert.ok(next.ok);
  assert.equal(called, false);
  for (let i = 0; i < 500 && srv.accepted() < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(srv.accepted(), 2, 'the cancelled one never connected');
  next.socket.destroy();
  srv.close();
});

test('tcp-connect-failures-eject-a-host-and-a-success-resets-the-count', async () => {
  const srv = await echoServer();
  const dead = await deadPort();
  const od = { consecutive_5xx: 2, enforcing_consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 0, enforcing_success_rate: 0, interval: '60s', max_ejection_percent: 100 };
  const cm = manager([srv.port, dead], { outlier_detection: od });
  const c = cm.get(NAME)!;
  const deadHost = c.hosts.find((h) => h.port === dead)!;
  const r1 = await connect(cm, dead);
  assert.deepEqual(r1.ok ? 'connected' : r1.flag, 'UF');
  assert.equal(c.outlier!.isEjected(deadHost), false, 'one failure is not enough');
  // The port comes back: a successful connect resets the host's consecutive count.
  const back = net.createServer((s) => s.on('error', () => undefined).destroy());
  await new Promise<void>((r) => back.listen(dead, HOST, r));
  const ok = await connect(cm, dead);
  assert.ok(ok.ok);
  ok.socket.destroy();
  await new Promise<void>((r) => back.close(() => r()));
  const r2 = await connect(cm, dead);
  assert.equal(r2.ok, false);
  assert.equal(c.outlier!.isEjected(deadHost), false, 'the success in between reset the count');
  const r3 = await connect(cm, dead);
  assert.equal(r3.ok, false);
  assert.equal(c.outlier!.isEjected(deadHost), true, 'two consecutive connect failures eject');
  for (let i = 0; i < 10; i++) assert.equal(c.pick()?.port, srv.port, 'the ejected host is not picked');
  c.outlier!.stop();
  srv.close();
});

function listenerWith(tcp: Partial<TcpProxyConfig>): ListenerConfig {
  return { name: 'l', address: HOST, port: 1, direction: 'OUTBOUND', hcm: NO_HCM, tcpProxy: { statPrefix: 'l', clusters: [{ name: NAME, weight: 1 }], totalWeight: 1, ...tcp } };
}

async function proxiedConnectionCloses(tcp: Partial<TcpProxyConfig>, keepTalking: boolean): Promise<{ flags: string[]; echoed: string }> {
  const srv = await echoServer();
  const registry = new Registry();
  const proxy = new TcpProxy({ clusters: manager([srv.port]), metrics: new TcpMetrics(registry), self: { workload: 'c', namespace: 'default', app: 'c', version: 'v1', serviceAccount: 'c', principal: '', cluster: 'K' } });
  const front = net.createServer((s) => proxy.accept(s, listenerWith(tcp)));
  await new Promise<void>((r) => front.listen(0, HOST, r));
  const c = net.connect({ host: HOST, port: (front.address() as net.AddressInfo).port });
  c.on('error', () => undefined);
  let echoed = '';
  c.on('data', (d: Buffer) => (echoed += d.toString()));
  c.once('connect', () => c.write('x'));
  // Bytes every 20ms keep an idle timer from firing (bounded: stops when the connection closes).
  const talk = keepTalking ? setInterval(() => c.write('y'), 20) : null;
  await new Promise<void>((r) => c.once('close', () => r()));
  if (talk) clearInterval(talk);
  // The proxy counts the close once both of its sockets have closed (bounded wait).
  const closedSamples = (): ReturnType<typeof findSamples> => findSamples(parseExposition(registry.render()), 'istio_tcp_connections_closed_total', {}).filter((s) => s.value > 0);
  for (let i = 0; i < 500 && closedSamples().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const closed = closedSamples();
  front.close();
  srv.close();
  return { flags: closed.map((s) => s.labels.response_flags ?? ''), echoed };
}

test('tcp-idle-timeout-closes-a-quiet-connection-without-a-flag', async () => {
  const r = await proxiedConnectionCloses({ idleTimeoutMs: 200 }, false);
  assert.equal(r.echoed, 'x');
  assert.deepEqual(r.flags, ['-']);
});

test('tcp-max-connection-duration-closes-a-busy-connection-with-DT', async () => {
  // Bytes flow all along (the idle timeout never fires): the duration limit closes it.
  const r = await proxiedConnectionCloses({ idleTimeoutMs: 60_000, maxDownstreamConnectionDurationMs: 300 }, true);
  assert.match(r.echoed, /^xy*$/);
  assert.deepEqual(r.flags, ['DT']);
});
