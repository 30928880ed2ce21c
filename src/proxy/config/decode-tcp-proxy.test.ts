// tcp_proxy listeners and the HCM's upgrade_configs: what decodes, what is refused (NACK names the field).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeListener } from './decode-listener.js';
import { listener, rejects, type J } from './decode-fixtures.js';
import { TCP_PROXY_TYPE_URL, TLS_INSPECTOR_TYPE_URL } from '../../xds/network-filters.js';

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
  rejects(() => decodeListener(tcpListener({ cluster: 'a', max_connect_attempts: 2 })), `${p}.max_connect_attempts`, /not supported/);
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

// TLS passthrough: tcp_proxy chains matched by SNI behind the tls_inspector listener filter.
const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': TLS_INSPECTOR_TYPE_URL } };

function sniChain(cluster: string, serverNames?: unknown): J {
  return {
    ...(serverNames !== undefined ? { filter_chain_match: { server_names: serverNames } } : {}),
    filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY_TYPE_URL, stat_prefix: 'outbound_443', cluster } }],
  };
}

/** `listenerFilters` null: none. */
function tlsListener(chains: J[], listenerFilters: unknown = [TLS_INSPECTOR]): J {
  return listener({ name: '127.0.0.5_443', ...(listenerFilters === null ? {} : { listener_filters: listenerFilters }), filter_chains: chains });
}

test('tls passthrough: server_names chains and one default chain decode', () => {
  const l = decodeListener(tlsListener([sniChain('api', ['API.example.com', '*.api.example.com']), sniChain('web', ['web.example.com']), sniChain('dflt')]));
  assert.deepEqual(l.sniChains?.map((c) => [c.serverNames, c.tcpProxy.clusters[0]?.name]), [
    [['api.example.com', '*.api.example.com'], 'api'],
    [['web.example.com'], 'web'],
  ]);
  assert.equal(l.tcpProxy?.clusters[0]?.name, 'dflt');
  // Without a default chain, unmatched connections have no chain.
  const noDefault = decodeListener(tlsListener([sniChain('api', ['api.example.com'])]));
  assert.equal(noDefault.tcpProxy, undefined);
  assert.equal(noDefault.sniChains?.length, 1);
});

test('tls passthrough: what is refused names the field', () => {
  const p = 'listener 127.0.0.5_443';
  rejects(() => decodeListener(tlsListener([sniChain('a', ['a.example.com']), sniChain('b')], null)), `${p}.filter_chains`, /tls_inspector/);
  rejects(() => decodeListener(tlsListener([sniChain('a', ['a.example.com'])], null)), `${p}.filter_chains[0].filter_chain_match`, /tls_inspector/);
  rejects(() => decodeListener(tlsListener([sniChain('a'), sniChain('b')])), `${p}.filter_chains[1]`, /at most one/);
  rejects(() => decodeListener(tlsListener([sniChain('a', ['a.example.com']), sniChain('b', ['A.example.com'])])), `${p}.filter_chains[1].filter_chain_match.server_names[0]`, /earlier chain/);
  rejects(() => decodeListener(tlsListener([sniChain('a', [])])), `${p}.filter_chains[0].filter_chain_match.server_names`);
  rejects(() => decodeListener(tlsListener([sniChain('a', ['a*.example.com'])])), `${p}.filter_chains[0].filter_chain_match.server_names[0]`);
  const withPorts = sniChain('a', ['a.example.com']);
  (withPorts.filter_chain_match as J).destination_port = 443;
  rejects(() => decodeListener(tlsListener([withPorts])), `${p}.filter_chains[0].filter_chain_match.destination_port`, /not supported/);
  const other = { name: 'envoy.filters.listener.http_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } };
  rejects(() => decodeListener(tlsListener([sniChain('a', ['a.example.com'])], [other])), `${p}.listener_filters[0]`, /only tls_inspector/);
  const hcm = listener({ name: '127.0.0.5_443', listener_filters: [TLS_INSPECTOR] });
  rejects(() => decodeListener(hcm), `${p}.filter_chains[0].filters[0].typed_config`, /only tcp_proxy/);
});

test('tcp_proxy: idle_timeout and max_downstream_connection_duration decode; absent stays absent', () => {
  const l = decodeListener(tcpListener({ cluster: 'a', idle_timeout: '30s', max_downstream_connection_duration: '1.5s' }));
  assert.equal(l.tcpProxy?.idleTimeoutMs, 30_000);
  assert.equal(l.tcpProxy?.maxDownstreamConnectionDurationMs, 1500);
  const off = decodeListener(tcpListener({ weighted_clusters: { clusters: [{ name: 'a', weight: 1 }] }, idle_timeout: '0s' }));
  assert.equal(off.tcpProxy?.idleTimeoutMs, 0, '0s turns the idle timeout off');
  const none = decodeListener(tcpListener({ cluster: 'a' }));
  assert.equal(none.tcpProxy?.idleTimeoutMs, undefined);
  assert.equal(none.tcpProxy?.maxDownstreamConnectionDurationMs, undefined);
});

test('tcp_proxy: bad timeouts are refused naming the field', () => {
  const p = 'listener 127.0.0.5_6379.filter_chains[0].filters[0].typed_config';
  rejects(() => decodeListener(tcpListener({ cluster: 'a', idle_timeout: 'soon' })), `${p}.idle_timeout`, /duration/);
  rejects(() => decodeListener(tcpListener({ cluster: 'a', max_downstream_connection_duration: '0s' })), `${p}.max_downstream_connection_duration`, /at least 1ms/);
});

const tcpStatsFilter = (metrics: unknown[]): J => ({
  name: 'istio.stats',
  typed_config: { '@type': 'type.googleapis.com/xds.type.v3.TypedStruct', type_url: 'type.weft.dev/weft.telemetry.v1.Stats', value: { metrics } },
});

test('tcp_proxy: an istio.stats network filter in front carries the TCP metric overrides', () => {
  const base = tcpListener({ cluster: 'c' });
  const chain = (base.filter_chains as J[])[0]!;
  chain.filters = [tcpStatsFilter([{ name: 'tcp_sent_bytes_total', drop: true }, { name: 'tcp_connections_opened_total', tags_to_remove: ['destination_version'] }]), ...(chain.filters as J[])];
  const l = decodeListener(base);
  assert.deepEqual(l.tcpStats?.metrics.map((m) => [m.name, m.drop, m.tagsToRemove]), [
    ['tcp_sent_bytes_total', true, []],
    ['tcp_connections_opened_total', false, ['destination_version']],
  ]);
});

test('tcp_proxy: istio.stats naming an HTTP metric, or in front of the HTTP connection manager, is refused', () => {
  const base = tcpListener({ cluster: 'c' });
  const chain = (base.filter_chains as J[])[0]!;
  chain.filters = [tcpStatsFilter([{ name: 'requests_total', drop: true }]), ...(chain.filters as J[])];
  assert.throws(() => decodeListener(base), /filters\[0\]\.typed_config\.value\.metrics\[0\]\.name.*expected one of tcp_connections_opened_total/);
  const hcm = listener({
    name: '127.0.0.5_80',
    filter_chains: [{ filters: [tcpStatsFilter([]), { name: 'envoy.filters.network.http_connection_manager', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', rds: { route_config_name: '80', config_source: { ads: {} } }, http_filters: [] } }] }],
  });
  assert.throws(() => decodeListener(hcm), /filters\[0\].*only in front of tcp_proxy/);
});
