// Decoding lb_policy with ring hash / maglev / slow start config and route hash_policy: what
// translation emits decodes; anything else is NACKed with its field path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCluster } from './decode-cluster.js';
import { ConfigRejection } from './check.js';
import { decodeHashPolicy } from './decode-lb.js';
import { DEFAULT_LB_CONFIG } from './lb-config.js';

function cluster(extra: Record<string, unknown>): Record<string, unknown> {
  return { name: 'c', type: 'STATIC', ...extra };
}

function rejects(fn: () => unknown, path: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigRejection && e.path === path, `expected a rejection at ${path}`);
}

test('cluster lb config: ring hash, maglev and slow start decode; defaults are Envoy\'s', () => {
  const ring = decodeCluster(cluster({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: 2048 } }));
  assert.equal(ring.lbPolicy, 'RING_HASH');
  assert.deepEqual(ring.lb, { ...DEFAULT_LB_CONFIG, minimumRingSize: 2048 });
  const maglev = decodeCluster(cluster({ lb_policy: 'MAGLEV', maglev_lb_config: { table_size: '5003' } }));
  assert.deepEqual(maglev.lb, { ...DEFAULT_LB_CONFIG, tableSize: 5003 });
  assert.deepEqual(decodeCluster(cluster({ lb_policy: 'MAGLEV' })).lb, DEFAULT_LB_CONFIG);
  const rr = decodeCluster(cluster({ lb_policy: 'ROUND_ROBIN', round_robin_lb_config: { slow_start_config: { slow_start_window: '45s' } } }));
  assert.equal(rr.lb?.slowStartWindowMs, 45_000);
  const lr = decodeCluster(cluster({ lb_policy: 'LEAST_REQUEST', least_request_lb_config: { slow_start_config: { slow_start_window: '1.5s' } } }));
  assert.equal(lr.lb?.slowStartWindowMs, 1500);
});

test('cluster lb config: mismatches and unsupported fields are NACKed by path', () => {
  rejects(() => decodeCluster(cluster({ lb_policy: 'RING_HASH', maglev_lb_config: {} })), 'cluster c.maglev_lb_config');
  rejects(() => decodeCluster(cluster({ lb_policy: 'MAGLEV', maglev_lb_config: { table_size: 65536 } })), 'cluster c.maglev_lb_config.table_size');
  rejects(() => decodeCluster(cluster({ lb_policy: 'RING_HASH', ring_hash_lb_config: { hash_function: 'MURMUR_HASH_2' } })), 'cluster c.ring_hash_lb_config.hash_function');
  rejects(() => decodeCluster(cluster({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: 0 } })), 'cluster c.ring_hash_lb_config.minimum_ring_size');
  rejects(() => decodeCluster(cluster({ lb_policy: 'ROUND_ROBIN', round_robin_lb_config: { slow_start_config: { slow_start_window: '5s', aggression: { default_value: 2 } } } })), 'cluster c.round_robin_lb_config.slow_start_config.aggression');
  rejects(() => decodeCluster(cluster({ lb_policy: 'LEAST_REQUEST', least_request_lb_config: { choice_count: 3 } })), 'cluster c.least_request_lb_config.choice_count');
  rejects(() => decodeCluster(cluster({ lb_policy: 'CLUSTER_PROVIDED' })), 'cluster c.lb_policy');
});

test('route hash_policy: each kind decodes; others are NACKed by path', () => {
  assert.deepEqual(
    decodeHashPolicy([
      { header: { header_name: 'X-User' } },
      { cookie: { name: 'session', ttl: '90s', path: '/' } },
      { connection_properties: { source_ip: true } },
      { query_parameter: { name: 'u' }, terminal: true },
    ], 'p'),
    [
      { kind: 'header', name: 'x-user', terminal: false },
      { kind: 'cookie', name: 'session', path: '/', ttlMs: 90_000, terminal: false },
      { kind: 'sourceIp', terminal: false },
      { kind: 'queryParameter', name: 'u', terminal: true },
    ],
  );
  assert.equal(decodeHashPolicy([], 'p'), undefined);
  rejects(() => decodeHashPolicy([{ filter_state: { key: 'k' } }], 'p'), 'p[0].filter_state');
  rejects(() => decodeHashPolicy([{}], 'p'), 'p[0]');
  rejects(() => decodeHashPolicy([{ header: { header_name: 'x', regex_rewrite: {} } }], 'p'), 'p[0].header.regex_rewrite');
  rejects(() => decodeHashPolicy([{ cookie: { name: 'a;b' } }], 'p'), 'p[0].cookie.name');
  rejects(() => decodeHashPolicy([{ cookie: { name: 's', attributes: [] } }], 'p'), 'p[0].cookie.attributes');
  rejects(() => decodeHashPolicy([{ connection_properties: { source_ip: false } }], 'p'), 'p[0].connection_properties.source_ip');
});
