// The L4 pieces on real loopback sockets: weighted cluster pick, the splice (bytes both ways,
// half-close passed on, reset passed on), and TcpProxy's failure flags and metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { pickTcpCluster, TcpProxy } from './tcp-proxy.js';
import { splice } from './splice.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { Registry } from '../../telemetry/prom.js';
import { TcpMetrics } from '../telemetry/tcp-metrics.js';
import { parseExposition, findSamples } from '../../telemetry/exposition-parser.js';
import type { ListenerConfig } from '../config/types.js';
import { NO_HCM } from '../config/decode-tcp-proxy.js';
import { decodeCluster } from '../config/decode-cluster.js';

test('tcp-weighted-cluster-pick-follows-weights', () => {
  const cfg = { statPrefix: 's', clusters: [{ name: 'a', weight: 20 }, { name: 'b', weight: 80 }], totalWeight: 100 };
  assert.equal(pickTcpCluster(cfg, 0), 'a');
  assert.equal(pickTcpCluster(cfg, 0.19), 'a');
  assert.equal(pickTcpCluster(cfg, 0.2), 'b');
  assert.equal(pickTcpCluster(cfg, 0.999), 'b');
});

/** A listening server whose accepted sockets are handed to `onSocket`; resolves with its port. */
async function server(onSocket: (s: net.Socket) => void, allowHalfOpen = true): Promise<{ port: number; close: () => void }> {
  const srv = net.createServer({ allowHalfOpen }, onSocket);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

test('splice-passes-bytes-both-ways-and-half-close', async () => {
  // upstream: echoes, and answers "bye" after the client half-closes
  const up = await server((s) => {
    s.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => s.end('bye'));
  });
  const counted = { down: 0, up: 0 };
  const closed = new Promise<void>((resolve) => {
    void server((down) => {
      const u = net.connect({ port: up.port, host: '127.0.0.1', allowHalfOpen: true });
      u.once('connect', () =>
        splice(down, u, { onDownstreamBytes: (n) => (counted.down += n), onUpstreamBytes: (n) => (counted.up += n), onClose: () => resolve() }),
      );
    }).then((front) => {
      const c = net.connect({ port: front.port, host: '127.0.0.1', allowHalfOpen: true });
      const got: Buffer[] = [];
      c.on('data', (d: Buffer) => got.push(d));
      c.on('end', () => {
        assert.equal(Buffer.concat(got).toString(), 'hello'.repeat(10_000) + 'bye');
        c.end();
        front.close();
      });
      c.write('hello'.repeat(10_000));
      c.end();
    });
  });
  await closed;
  assert.equal(counted.down, 50_000);
  assert.equal(counted.up, 50_003);
  up.close();
});

function listenerFor(cluster: string): ListenerConfig {
  return { name: 'l', address: '127.0.0.1', port: 1, direction: 'OUTBOUND', hcm: NO_HCM, tcpProxy: { statPrefix: 'l', clusters: [{ name: cluster, weight: 1 }], totalWeight: 1 } };
}

test('tcp-proxy-connect-failure-closes-with-UF-and-counts-it', async () => {
  // A port with nothing listening: take one and close it.
  const dead = await server(() => undefined);
  dead.close();
  const clusters = new ClusterManager();
  const name = 'outbound|7000||echo.default.svc.cluster.local';
  const cfg = decodeCluster({
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: dead.port } } } }] }] },
    metadata: { filter_metadata: { istio: { services: [{ host: 'echo.default.svc.cluster.local', name: 'echo', namespace: 'default' }] } } },
  });
  clusters.setClusters(new Map([[name, cfg]]));
  const registry = new Registry();
  const proxy = new TcpProxy({ clusters, metrics: new TcpMetrics(registry), self: { workload: 'client', namespace: 'default', app: 'client', version: 'v1', serviceAccount: 'client', principal: '', cluster: 'Kubernetes' } });
  const front = await server((s) => proxy.accept(s, listenerFor(name)));
  const c = net.connect({ port: front.port, host: '127.0.0.1' });
  c.on('error', () => undefined);
  await new Promise<void>((r) => c.once('close', () => r()));
  const m = parseExposition(registry.render());
  const s = findSamples(m, 'istio_tcp_connections_closed_total', { response_flags: 'UF' });
  assert.equal(s.length, 1);
  assert.equal(s[0]!.labels.source_workload, 'client');
  assert.equal(s[0]!.labels.destination_service_name, 'echo');
  assert.equal(s[0]!.labels.request_protocol, 'tcp');
  assert.equal('response_code' in s[0]!.labels, false);
  front.close();
});
