import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { ClusterStats } from './cluster-stats.js';
import { Registry } from '../../telemetry/prom.js';
import { clusterMetricsHooks } from './cluster-metrics.js';
import { parseExposition, sampleValue } from '../../telemetry/exposition-parser.js';
import type { ClusterManager } from './cluster-manager.js';

test('requests by code and class; only responses count as completed', () => {
  const s = new ClusterStats();
  for (const code of [200, 200, 204, 503, 0]) s.request(code);
  assert.equal(s.rqTotal, 5);
  assert.equal(s.rqCompleted, 4);
  const { classes, codes } = s.responses();
  assert.deepEqual(Object.fromEntries(classes), { '2xx': 3, '5xx': 1 });
  assert.deepEqual(Object.fromEntries(codes), { '200': 2, '204': 1, '503': 1 });
});

test('connections are active while open; their bytes stay counted after close', async () => {
  const server = net.createServer((s) => {
    s.once('data', () => s.end('hello'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const stats = new ClusterStats();
  const sock = net.connect(port, '127.0.0.1');
  stats.track(sock);
  stats.track(sock);
  assert.equal(stats.cxActive, 1);
  const closed = once(sock, 'close');
  sock.resume();
  sock.write('abc');
  await closed;
  server.close();
  assert.equal(stats.cxActive, 0);
  assert.equal(stats.rxBytes, 5);
  assert.equal(stats.txBytes, 3);
});

test('the Envoy metrics render per cluster with Istio cluster names', () => {
  const registry = new Registry();
  const stats = new ClusterStats();
  stats.request(200);
  stats.request(503);
  const cluster = 'outbound|9080|v1|reviews.default.svc.cluster.local';
  const manager = { stats: () => [{ cluster, overflows: 0, ejectionsActive: 0, ejectionsTotal: 0, upstream: stats }] } as unknown as ClusterManager;
  clusterMetricsHooks(registry, () => manager);
  const p = parseExposition(registry.render());
  assert.equal(sampleValue(p, 'envoy_cluster_upstream_rq_total', { cluster_name: cluster }), 2);
  assert.equal(sampleValue(p, 'envoy_cluster_upstream_rq_completed', { cluster_name: cluster }), 2);
  assert.equal(sampleValue(p, 'envoy_cluster_upstream_rq', { cluster_name: cluster, response_code_class: '5xx' }), 1);
  assert.equal(sampleValue(p, 'envoy_cluster_upstream_rq', { cluster_name: cluster, response_code: '200' }), 1);
  assert.equal(sampleValue(p, 'envoy_cluster_upstream_cx_active', { cluster_name: cluster }), 0);
});
