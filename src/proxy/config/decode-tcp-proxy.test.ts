// tcp_proxy listeners and the HCM's upgrade_configs: what decodes, what is refused (NACK names the field).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeListener } from './decode-listener.js';
import { listener, rejects, type J } from './decode-fixtures.js';
import { TCP_PROXY_TYPE_URL } from '../../xds/network-filters.js';

function tcpListener(tc: J): J {
  return listener({
    name: '127.0.0.5_6379',
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY_TYPE_URL, stat_prefix: 'outbound_6379', ...tc } }] }],
  });
}

test('tcp_proxy: a single cluster decodes as a weight-1 pick', () => {
  const l = decodeListener(tcpListener({ cluster: 'outbound|6379||redis.default.svc.cluster.local' }));
  assert.deepEqual(l.tcpProxy, { statPrefix: 'outbound_6379', clusters: [{ name: 'outbound|6379||redis.default.svc.cluster.local', weight: 1 }], totalWeight: 1 });
  assert.equal(l.hcm.rdsName, undefined);
});

test('tcp_proxy: weighted_clusters keep their weights', () => {
  const l = decodeListener(tcpListener({ weighted_clusters: { clusters: [{ name: 'a', weight: 30 }, { name: 'b', weight: 70 }] } }));
  assert.deepEqual(l.tcpProxy?.clusters, [{ name: 'a', weight: 30 }, { name: 'b', weight: 70 }]);
  assert.equal(l.tcpProxy?.totalWeight, 100);
});

test('tcp_proxy: unsupported fields, both or neither target, zero weights are refused', () => {
  const p = 'listener 127.0.0.5_6379.filter_chains[0].filters[0].typed_config';
  rejects(() => decodeListener(tcpListener({ cluster: 'a', idle_timeout: '1s' })), `${p}.idle_timeout`, /not supported/);
  rejects(() => decodeListener(tcpListener({})), p, /exactly one of cluster or weighted_clusters/);
  rejects(() => decodeListener(tcpListener({ cluster: 'a', weighted_clusters: { clusters: [{ name: 'a', weight: 1 }] } })), p);
  rejects(() => decodeListener(tcpListener({ weighted_clusters: { clusters: [{ name: 'a', weight: 0 }] } })), `${p}.weighted_clusters.clusters`, /sum to 0/);
  rejects(() => decodeListener(tcpListener({ weighted_clusters: { clusters: [{ name: 'a', weight: 1, metadata_match: {} }] } })), `${p}.weighted_clusters.clusters[0].metadata_match`);
});

test('network filters other than the HCM and tcp_proxy are refused', () => {
  const l = listener({ filter_chains: [{ filters: [{ name: 'envoy.filters.network.redis_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy' } }] }] });
  rejects(() => decodeListener(l), 'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config', /not supported/);
});

test('upgrade_configs: websocket enables pass-through; other upgrade types are refused', () => {
  assert.equal(decodeListener(listener({}, { upgrade_configs: [{ upgrade_type: 'websocket' }] })).hcm.websocket, true);
  assert.equal(decodeListener(listener({}, { upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] })).hcm.websocket, false);
  assert.equal(decodeListener(listener()).hcm.websocket, undefined);
  const p = 'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config.upgrade_configs[0]';
  rejects(() => decodeListener(listener({}, { upgrade_configs: [{ upgrade_type: 'CONNECT' }] })), `${p}.upgrade_type`, /only websocket/);
  rejects(() => decodeListener(listener({}, { upgrade_configs: [{ upgrade_type: 'websocket', filters: [] }] })), `${p}.filters`);
});
