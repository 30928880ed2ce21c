// ConfigManager: the last good config is kept on rejection, subscriptions follow config, when it
// counts as initialized; and a round trip proving the control plane never emits what this proxy
// rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlText } from '../../api/parse.js';
import type { KindName, Resource } from '../../api/types.js';
import { buildSnapshot } from '../../control/model/snapshot.js';
import type { ProxyModel } from '../../control/model/proxy.js';
import { goldenCases, testdataDir } from '../../control/translate/golden.js';
import { translate } from '../../control/translate/index.js';
import { decodeResource, encodeResource } from '../../xds/json-codec.js';
import { nodeId, type ProxyMetadata } from '../../xds/node-metadata.js';
import { TYPE_URL, type XdsType } from '../../xds/protos.js';
import { pickCluster, rewritePath, selectRoute, selectVirtualHost } from '../router/select.js';
import { ConfigManager, type ConfigSink } from './config-manager.js';
import { decodeCluster } from './decode-cluster.js';
import type { ClusterConfig, EndpointConfig, ListenerConfig, RouteTable } from './types.js';

import { ADS, ROUTER, cla, edsCluster, lbEndpoint, listener, routeConfig, type J } from './decode-fixtures.js';

// ---------------------------------------------------------------- ConfigManager

interface Recorded {
  clusters: ReadonlyMap<string, ClusterConfig>[];
  endpoints: ReadonlyMap<string, EndpointConfig[]>[];
  listeners: ReadonlyMap<string, ListenerConfig>[];
  routes: ReadonlyMap<string, RouteTable>[];
  subscriptions: { type: XdsType; names: string[] }[];
}

function recordingSink(): ConfigSink & { rec: Recorded; calls: () => number } {
  const rec: Recorded = { clusters: [], endpoints: [], listeners: [], routes: [], subscriptions: [] };
  return {
    rec,
    calls: () => rec.clusters.length + rec.endpoints.length + rec.listeners.length + rec.routes.length + rec.subscriptions.length,
    setClusters: (c) => void rec.clusters.push(c),
    setEndpoints: (e) => void rec.endpoints.push(e),
    setListeners: (l) => void rec.listeners.push(l),
    setRoutes: (r) => void rec.routes.push(r),
    subscribe: (type, names) => void rec.subscriptions.push({ type, names: [...names] }),
  };
}

function named(...resources: J[]): Map<string, J> {
  return new Map(resources.map((r) => [String(r.name ?? r.cluster_name), r]));
}

test('ConfigManager: valid updates are applied, recorded and ACKed', () => {
  const sink = recordingSink();
  const cm = new ConfigManager(sink);
  const clusters = named(edsCluster('b'), edsCluster('a'), { name: 'static', type: 'STATIC' });
  assert.equal(cm.onResources('cluster', clusters, 'v1'), null);
  assert.deepEqual([...(sink.rec.clusters[0]?.keys() ?? [])], ['b', 'a', 'static']);
  assert.equal(cm.versions.cluster, 'v1');
  assert.equal(cm.accepted.cluster, clusters);
  assert.deepEqual(sink.rec.subscriptions, [{ type: 'endpoint', names: ['a', 'b'] }]);

  assert.equal(cm.onResources('endpoint', named(cla('a'), cla('b', [])), 'e1'), null);
  assert.equal(sink.rec.endpoints[0]?.get('a')?.[0]?.address, '127.0.5.1');
  assert.deepEqual(sink.rec.endpoints[0]?.get('b'), []);

  assert.equal(cm.onResources('listener', named(listener()), 'l1'), null);
  assert.equal(sink.rec.listeners[0]?.get('0.0.0.0_80')?.port, 8080);
  assert.deepEqual(sink.rec.subscriptions.at(-1), { type: 'route', names: ['http.80'] });

  assert.equal(cm.onResources('route', named(routeConfig()), 'r1'), null);
  assert.equal(sink.rec.routes[0]?.get('http.80')?.name, 'http.80');
  assert.deepEqual(cm.versions, { cluster: 'v1', endpoint: 'e1', listener: 'l1', route: 'r1', secret: null });
});

test('ConfigManager: a rejected update returns the message, calls no sink, and keeps the last good config', () => {
  const sink = recordingSink();
  const cm = new ConfigManager(sink);
  const good = named(edsCluster('a'));
  assert.equal(cm.onResources('cluster', good, 'v1'), null);
  const before = sink.calls();

  // The bad cluster comes after a good one: nothing of the update may leak to the sink.
  const msg = cm.onResources('cluster', named(edsCluster('a'), edsCluster('z', { lb_policy: 'CLUSTER_PROVIDED' })), 'v2');
  assert.ok(msg !== null);
  assert.match(msg, /^cluster z\.lb_policy: /);
  assert.equal(sink.calls(), before, 'sink was called for a rejected update');
  assert.equal(cm.versions.cluster, 'v1');
  assert.equal(cm.accepted.cluster, good);

  const cases: [XdsType, Map<string, J>, RegExp][] = [
    ['listener', named(listener({}, { http_filters: [{ name: 'envoy.filters.http.jwt_authn', typed_config: { '@type': 'x' } }, ROUTER()] })), /^listener 0\.0\.0\.0_80\.filter_chains\[0\]\.filters\[0\]\.typed_config\.http_filters\[0\]: /],
    ['listener', named(listener(), listener({ name: 'second' })), /^listener second\.address: 127\.0\.0\.1:8080 is also used by listener 0\.0\.0\.0_80/],
    ['route', named(routeConfig(), routeConfig({ name: 'other', bogus: 1 })), /^route other\.bogus: /],
    ['endpoint', named(cla('a', [lbEndpoint('127.0.0.1', 0)])), /^cluster_load_assignment a\.endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address\.port_value: /],
    ['secret', new Map([['s', { name: 's' }]]), /^secret: .*not supported/],
  ];
  for (const [type, resources, want] of cases) {
    const n = sink.calls();
    const m = cm.onResources(type, resources, 'bad');
    assert.ok(m !== null, `${type} should be rejected`);
    assert.match(m, want);
    assert.equal(sink.calls(), n, `${type}: sink was called for a rejected update`);
    assert.equal(cm.versions[type], null, `${type}: version moved on a rejected update`);
    assert.equal(cm.accepted[type].size, 0);
  }
});

test('ConfigManager: a resource without a name is refused', () => {
  const cm = new ConfigManager(recordingSink());
  const msg = cm.onResources('cluster', new Map([['x', { type: 'EDS' }]]), 'v1');
  assert.ok(msg !== null);
  assert.match(msg, /^name: expected a string/);
});

test('ConfigManager: an unexpected error is still a NACK naming the type, and nothing is applied', () => {
  const sink = recordingSink();
  const cm = new ConfigManager(sink);
  const hostile = {
    get name(): string {
      throw new Error('boom');
    },
  };
  assert.equal(cm.onResources('cluster', new Map([['x', hostile]]), 'v1'), 'cluster: boom');
  assert.equal(sink.calls(), 0);
  assert.equal(cm.versions.cluster, null);
});

test('cluster: malformed Istio service metadata is ignored, not a crash', () => {
  for (const services of [[null], ['order'], [{ name: 'no-host' }], [], 'x']) {
    const c = decodeCluster(edsCluster('c', { metadata: { filter_metadata: { istio: { services } } } }));
    assert.equal(c.service, null, JSON.stringify(services));
  }
});

test('ConfigManager: after a rejected LDS update the next good one is accepted and RDS names follow it', () => {
  const sink = recordingSink();
  const cm = new ConfigManager(sink);
  assert.equal(cm.onResources('listener', named(listener()), 'l1'), null);
  assert.notEqual(cm.onResources('listener', named(listener({ name: 'a' }, { rds: { route_config_name: 'http.9090', config_source: { path: '/x' } } })), 'l2'), null);
  assert.deepEqual(sink.rec.subscriptions, [{ type: 'route', names: ['http.80'] }]);
  const two = named(
    listener({ name: 'a', address: { socket_address: { address: '127.0.0.1', port_value: 9090 } } }, { rds: { route_config_name: 'http.9090', config_source: ADS() } }),
    listener({ name: 'b', address: { socket_address: { address: '127.0.0.1', port_value: 9091 } } }, { rds: { route_config_name: 'http.9090', config_source: ADS() } }),
    listener({ name: 'c', address: { socket_address: { address: '127.0.0.2', port_value: 80 } } }),
    listener({ name: 'inline', address: { socket_address: { address: '127.0.0.3', port_value: 80 } } }, { rds: undefined, route_config: { name: 'inl', virtual_hosts: [] } }),
  );
  assert.equal(cm.onResources('listener', two, 'l3'), null);
  assert.deepEqual(sink.rec.subscriptions.at(-1), { type: 'route', names: ['http.80', 'http.9090'] }, 'sorted, deduplicated, inline routes excluded');
  assert.equal(cm.versions.listener, 'l3');
});

test('ConfigManager: EDS subscription names follow CDS (service_name, EDS clusters only)', () => {
  const sink = recordingSink();
  const cm = new ConfigManager(sink);
  const clusters = named(
    edsCluster('outbound|80||b', { eds_cluster_config: { eds_config: ADS(), service_name: 'eds-b' } }),
    edsCluster('outbound|80||a', { eds_cluster_config: { eds_config: ADS() } }),
    { name: 'inbound|9080||', type: 'STATIC', load_assignment: cla('inbound|9080||') },
    { name: 'ext', type: 'STRICT_DNS', load_assignment: cla('ext', [lbEndpoint('example.com', 443)]) },
  );
  assert.equal(cm.onResources('cluster', clusters, 'v1'), null);
  assert.deepEqual(sink.rec.subscriptions, [{ type: 'endpoint', names: ['eds-b', 'outbound|80||a'] }]);
  assert.equal(cm.onResources('cluster', named({ name: 'only-static' }), 'v2'), null);
  assert.deepEqual(sink.rec.subscriptions.at(-1), { type: 'endpoint', names: [] });
});

test('ConfigManager: initialized only after CDS, LDS, every referenced RDS name, and EDS when needed', () => {
  const cm = new ConfigManager(recordingSink());
  assert.equal(cm.initialized(), false);
  assert.equal(cm.onResources('cluster', named(edsCluster('a')), 'c1'), null);
  assert.equal(cm.initialized(), false, 'no LDS yet');
  assert.equal(cm.onResources('listener', named(listener(), listener({ name: 'l2', address: { socket_address: { address: '127.0.0.1', port_value: 9090 } } }, { rds: { route_config_name: 'http.9090', config_source: ADS() } })), 'l1'), null);
  assert.equal(cm.initialized(), false, 'no EDS or RDS yet');
  assert.equal(cm.onResources('endpoint', named(cla('a')), 'e1'), null);
  assert.equal(cm.initialized(), false, 'no RDS yet');
  assert.equal(cm.onResources('route', named(routeConfig()), 'r1'), null);
  assert.equal(cm.initialized(), false, 'http.9090 still missing');
  assert.notEqual(cm.onResources('route', named(routeConfig(), routeConfig({ name: 'http.9090', bogus: 1 })), 'r2'), null);
  assert.equal(cm.initialized(), false, 'a rejected RDS update does not count');
  assert.equal(cm.onResources('route', named(routeConfig(), routeConfig({ name: 'http.9090' })), 'r3'), null);
  assert.equal(cm.initialized(), true);
});

test('ConfigManager: without EDS clusters or RDS listeners, CDS and LDS suffice', () => {
  const cm = new ConfigManager(recordingSink());
  assert.equal(cm.onResources('listener', named(listener({}, { rds: undefined, route_config: { name: 'inl', virtual_hosts: [] } })), 'l1'), null);
  assert.equal(cm.initialized(), false, 'no CDS yet');
  assert.equal(cm.onResources('cluster', named({ name: 's', type: 'STATIC', load_assignment: cla('s') }), 'c1'), null);
  assert.equal(cm.initialized(), true);
});

test('ConfigManager: empty CDS and LDS updates are valid and initialize', () => {
  const cm = new ConfigManager(recordingSink());
  assert.equal(cm.onResources('cluster', new Map(), 'c1'), null);
  assert.equal(cm.onResources('listener', new Map(), 'l1'), null);
  assert.equal(cm.initialized(), true);
});

// ---------------------------------------------------------------- round trip from the control plane

function snapshotFrom(caseName: string): ReturnType<typeof buildSnapshot> {
  const file = join(testdataDir(caseName), 'input.yaml');
  const { resources, errors } = parseYamlText(readFileSync(file, 'utf8'), file);
  assert.deepEqual(errors, [], `${caseName}/input.yaml must parse cleanly`);
  const byKind = new Map<KindName, Resource[]>();
  for (const r of resources) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  return buildSnapshot(1, byKind);
}

function proxy(metadata: ProxyMetadata): ProxyModel {
  return { id: nodeId(metadata), metadata };
}

const SIDECAR: ProxyMetadata = {
  type: 'sidecar',
  NAME: 'client-0',
  NAMESPACE: 'default',
  WORKLOAD_NAME: 'client',
  LABELS: { app: 'client', version: 'v1' },
  SERVICE_ACCOUNT: 'default',
  INSTANCE_IP: '127.0.9.1',
  ADMIN_ADDRESS: '127.0.9.1:15000',
  OUTBOUND_PORT: 15001,
  CLUSTER_ID: 'Kubernetes',
};

const GATEWAY: ProxyMetadata = {
  type: 'router',
  NAME: 'istio-ingressgateway-0',
  NAMESPACE: 'default',
  WORKLOAD_NAME: 'istio-ingressgateway',
  LABELS: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
  SERVICE_ACCOUNT: 'istio-ingressgateway',
  INSTANCE_IP: '127.0.0.1',
  ADMIN_ADDRESS: '127.0.0.1:15000',
  CLUSTER_ID: 'Kubernetes',
  PORT_MAP: { '80': 8080 },
};

const ORDER: readonly XdsType[] = ['cluster', 'endpoint', 'listener', 'route', 'secret'];

/** translate → encode → decode (as the wire would) → ConfigManager, in ADS order; every type must ACK. */
function roundTrip(caseName: string, metadata: ProxyMetadata): { cm: ConfigManager; sink: ReturnType<typeof recordingSink>; counts: Record<XdsType, number> } {
  const res = translate(snapshotFrom(caseName), proxy(metadata));
  const sink = recordingSink();
  const cm = new ConfigManager(sink);
  const counts = { cluster: 0, endpoint: 0, listener: 0, route: 0, secret: 0 };
  for (const type of ORDER) {
    const set = res[type];
    if (type === 'secret' && set.size === 0) continue; // nothing to send: SDS is not subscribed
    const wire = new Map<string, Record<string, unknown>>();
    for (const [name, json] of set) wire.set(name, decodeResource(TYPE_URL[type], encodeResource(TYPE_URL[type], json)));
    const nack = cm.onResources(type, wire, `${caseName}-1`);
    assert.equal(nack, null, `${caseName} (${metadata.type}): the proxy NACKs the control plane's ${type}: ${String(nack)}`);
    counts[type] = set.size;
  }
  assert.ok(cm.initialized(), `${caseName} (${metadata.type}): not initialized after a full push`);
  return { cm, sink, counts };
}

function caseProxyMetadata(caseName: string): ProxyMetadata {
  return JSON.parse(readFileSync(join(testdataDir(caseName), 'proxy.json'), 'utf8')) as ProxyMetadata;
}

test('round trip: the golden inputs exist', () => {
  assert.ok(goldenCases().length >= 2);
  assert.ok(goldenCases().includes('gateway-ingress'));
});

for (const caseName of goldenCases()) {
  test(`round trip ${caseName}: a sidecar accepts every resource type the control plane sends it`, () => {
    const { counts } = roundTrip(caseName, SIDECAR);
    assert.ok(counts.listener > 0 && counts.route > 0, `${caseName}: a sidecar always gets listeners and routes`);
  });

  test(`round trip ${caseName}: the ingress gateway accepts every resource type the control plane sends it`, () => {
    roundTrip(caseName, GATEWAY);
  });

  test(`round trip ${caseName}: the case's own proxy accepts every resource type`, () => {
    roundTrip(caseName, caseProxyMetadata(caseName));
  });
}

test('round trip gateway-ingress: decoded config routes /order/ to order with the prefix rewritten', () => {
  const { sink, counts } = roundTrip('gateway-ingress', GATEWAY);
  assert.ok(counts.cluster > 0 && counts.endpoint > 0 && counts.listener > 0 && counts.route > 0);
  const listeners = sink.rec.listeners.at(-1);
  assert.ok(listeners);
  const l = [...listeners.values()];
  assert.equal(l.length, 1);
  const [gw] = l;
  assert.ok(gw);
  assert.equal(gw.port, 8080, 'PORT_MAP moves server port 80 to 8080');
  assert.ok(gw.hcm.rdsName);
  const table = sink.rec.routes.at(-1)?.get(gw.hcm.rdsName);
  assert.ok(table, `route ${gw.hcm.rdsName} was delivered`);

  const route = (path: string): { cluster: string; path: string } | undefined => {
    const vh = selectVirtualHost(table, 'shop.example.com:8080', gw.hcm.stripAnyHostPort);
    const r = vh && selectRoute(vh, { method: 'GET', authority: 'shop.example.com:8080', path, query: '', headers: [] });
    return r && { cluster: pickCluster(r.action, 0.5), path: rewritePath(r, path) };
  };
  assert.deepEqual(route('/order/api/x'), { cluster: 'outbound|80||order.default.svc.cluster.local', path: '/api/x' });
  assert.deepEqual(route('/index.html'), { cluster: 'outbound|80||home.default.svc.cluster.local', path: '/index.html' });

  const clusters = sink.rec.clusters.at(-1);
  const order = clusters?.get('outbound|80||order.default.svc.cluster.local');
  assert.equal(order?.type, 'EDS');
  const eps = sink.rec.endpoints.at(-1)?.get(order.edsServiceName);
  assert.deepEqual(eps?.map((e) => `${e.address}:${e.port}`), ['127.0.5.1:80']);
  assert.deepEqual(sink.rec.subscriptions.find((s) => s.type === 'endpoint')?.names, [...(sink.rec.endpoints.at(-1)?.keys() ?? [])].sort());
});

test('round trip bookinfo-reviews: every EDS name the sidecar subscribes to is delivered', () => {
  const { sink } = roundTrip('bookinfo-reviews', caseProxyMetadata('bookinfo-reviews'));
  const subscribed = sink.rec.subscriptions.filter((s) => s.type === 'endpoint').at(-1)?.names ?? [];
  const delivered = new Set(sink.rec.endpoints.at(-1)?.keys() ?? []);
  assert.ok(subscribed.length > 0);
  for (const n of subscribed) assert.ok(delivered.has(n), `EDS ${n} subscribed but not sent`);
  const routes = sink.rec.subscriptions.filter((s) => s.type === 'route').at(-1)?.names ?? [];
  for (const n of routes) assert.ok(sink.rec.routes.at(-1)?.has(n), `RDS ${n} subscribed but not sent`);
});

