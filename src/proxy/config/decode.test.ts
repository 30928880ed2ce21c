// xDS JSON → runtime config: what decodes, what is refused (every refusal names the field, since it
// becomes the NACK's error_detail), how ConfigManager keeps the last good config, when it counts as
// initialized, and a round trip proving the control plane never emits what this proxy rejects.
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
import { HCM_TYPE_URL, ROUTER_TYPE_URL, TYPE_URL, type XdsType } from '../../xds/protos.js';
import { pickCluster, rewritePath, selectRoute, selectVirtualHost } from '../router/select.js';
import { ConfigRejection } from './check.js';
import { ConfigManager, type ConfigSink } from './config-manager.js';
import { decodeCluster, decodeEndpoints } from './decode-cluster.js';
import { decodeListener } from './decode-listener.js';
import { decodeRouteConfig } from './decode-route.js';
import type { ClusterConfig, EndpointConfig, ListenerConfig, RouteTable } from './types.js';

type J = Record<string, unknown>;

// ---------------------------------------------------------------- fixtures (fresh objects each call)

const ADS = (): J => ({ ads: {}, resource_api_version: 'V3' });
const ROUTER = (): J => ({ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL } });

function hcm(over: J = {}): J {
  return {
    '@type': HCM_TYPE_URL,
    stat_prefix: 'outbound_0.0.0.0_80',
    rds: { route_config_name: 'http.80', config_source: ADS() },
    http_filters: [ROUTER()],
    strip_any_host_port: true,
    use_remote_address: true,
    ...over,
  };
}

function listener(over: J = {}, hcmOver: J = {}): J {
  return {
    name: '0.0.0.0_80',
    address: { socket_address: { address: '127.0.0.1', port_value: 8080 } },
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm(hcmOver) }] }],
    ...over,
  };
}

function routeConfig(over: J = {}): J {
  return {
    name: 'http.80',
    virtual_hosts: [
      {
        name: 'shop',
        domains: ['shop.example.com', '*.shop.example.com', '*'],
        routes: [
          {
            name: 'orders',
            match: {
              prefix: '/order/',
              headers: [{ name: 'X-Env', string_match: { exact: 'canary' } }],
              query_parameters: [{ name: 'v', string_match: { prefix: '2' } }],
            },
            route: {
              weighted_clusters: {
                clusters: [
                  { name: 'order-v1', weight: 90 },
                  { name: 'order-v2', weight: 10 },
                ],
              },
              prefix_rewrite: '/',
              host_rewrite_literal: 'order.internal',
              timeout: '2.5s',
            },
          },
          { name: 'home', match: { prefix: '/' }, route: { cluster: 'home' } },
        ],
      },
    ],
    validate_clusters: false,
    ...over,
  };
}

function edsCluster(name = 'outbound|80||order.default.svc.cluster.local', over: J = {}): J {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS(), service_name: name },
    connect_timeout: '0.25s',
    lb_policy: 'LEAST_REQUEST',
    metadata: { filter_metadata: { istio: { services: [{ host: 'order.default.svc.cluster.local', name: 'order', namespace: 'default' }] } } },
    ...over,
  };
}

function lbEndpoint(address: string, port: number, over: J = {}): J {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, ...over };
}

function cla(name = 'outbound|80||order.default.svc.cluster.local', endpoints: J[] = [lbEndpoint('127.0.5.1', 80)]): J {
  return { cluster_name: name, endpoints: [{ lb_endpoints: endpoints }] };
}

/** Asserts that `fn` throws a ConfigRejection for exactly this field path (and message text). */
function rejects(fn: () => unknown, path: string, text?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigRejection, `expected a ConfigRejection, got ${String(err)}`);
    assert.equal(err.path, path);
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    if (text) assert.match(err.message, text);
    return true;
  });
}

// ---------------------------------------------------------------- LDS

test('listener: an RDS listener decodes to its runtime config', () => {
  const l = decodeListener(listener());
  assert.deepEqual(l, {
    name: '0.0.0.0_80',
    address: '127.0.0.1',
    port: 8080,
    direction: 'OUTBOUND',
    hcm: { statPrefix: 'outbound_0.0.0.0_80', rdsName: 'http.80', inlineRoutes: undefined, stripAnyHostPort: true, useRemoteAddress: true },
  });
});

test('listener: defaults for optional HCM fields, and INBOUND direction', () => {
  const l = decodeListener(
    listener({ traffic_direction: 'INBOUND' }, { strip_any_host_port: undefined, use_remote_address: undefined, codec_type: 'AUTO', normalize_path: true }),
  );
  assert.equal(l.direction, 'INBOUND');
  assert.equal(l.hcm.stripAnyHostPort, false);
  assert.equal(l.hcm.useRemoteAddress, false);
});

test('listener: an inline route_config is compiled with the listener', () => {
  const l = decodeListener(listener({}, { rds: undefined, route_config: { name: 'inbound|9080||', virtual_hosts: [{ name: 'inbound', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'inbound|9080||' } }] }] } }));
  assert.equal(l.hcm.rdsName, undefined);
  assert.equal(l.hcm.inlineRoutes?.name, 'inbound|9080||');
  assert.equal(l.hcm.inlineRoutes?.catchAll?.routes[0]?.action.clusters[0]?.name, 'inbound|9080||');
});

test('listener: an unsupported HTTP filter is refused by index, naming the filter', () => {
  const fault = { name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } };
  rejects(
    () => decodeListener(listener({}, { http_filters: [fault, ROUTER()] })),
    'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config.http_filters[0]',
    /envoy\.filters\.http\.fault/,
  );
  rejects(
    () => decodeListener(listener({}, { http_filters: [ROUTER(), { name: 'no-config' }] })),
    'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config.http_filters[1]',
  );
});

test('listener: two filter chains are refused', () => {
  const l = listener();
  const chains = l.filter_chains as J[];
  rejects(() => decodeListener({ ...l, filter_chains: [chains[0], chains[0]] }), 'listener 0.0.0.0_80.filter_chains', /got 2/);
  rejects(() => decodeListener({ ...l, filter_chains: [] }), 'listener 0.0.0.0_80.filter_chains', /got 0/);
});

test('listener: a network filter other than the HTTP connection manager is refused', () => {
  const l = listener({
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', cluster: 'x' } }] }],
  });
  rejects(() => decodeListener(l), 'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config', /tcp_proxy/);
});

test('listener: an RDS config source other than ADS is refused', () => {
  rejects(
    () => decodeListener(listener({}, { rds: { route_config_name: 'http.80', config_source: { path: '/etc/routes.yaml' } } })),
    'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config.rds.config_source',
    /ADS/,
  );
});

test('listener: neither rds nor route_config is refused', () => {
  rejects(() => decodeListener(listener({}, { rds: undefined })), 'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config', /rds or route_config/);
});

test('listener: a bad port is refused', () => {
  for (const port of [0, 65536, -1, 80.5, '80', undefined]) {
    rejects(
      () => decodeListener(listener({ address: { socket_address: { address: '127.0.0.1', port_value: port } } })),
      'listener 0.0.0.0_80.address.socket_address.port_value',
      /1\.\.65535/,
    );
  }
});

test('listener: an unsupported codec is refused', () => {
  rejects(() => decodeListener(listener({}, { codec_type: 'HTTP2' })), 'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config.codec_type');
});

test('listener: unknown fields are refused at every level', () => {
  const p = 'listener 0.0.0.0_80';
  const tc = `${p}.filter_chains[0].filters[0].typed_config`;
  rejects(() => decodeListener(listener({ per_connection_buffer_limit_bytes: 1024 })), `${p}.per_connection_buffer_limit_bytes`, /not supported/);
  rejects(
    () => decodeListener(listener({ address: { socket_address: { address: '127.0.0.1', port_value: 80, ipv4_compat: true } } })),
    `${p}.address.socket_address.ipv4_compat`,
  );
  const l = listener();
  const chain = (l.filter_chains as J[])[0];
  rejects(() => decodeListener({ ...l, filter_chains: [{ ...chain, transport_socket: {} }] }), `${p}.filter_chains[0].transport_socket`);
  rejects(() => decodeListener(listener({}, { tracing: {} })), `${tc}.tracing`);
  rejects(() => decodeListener(listener({}, { rds: { route_config_name: 'x', config_source: ADS(), extra: 1 } })), `${tc}.rds.extra`);
});

// ---------------------------------------------------------------- RDS

test('route config: decodes virtual hosts, matchers and actions', () => {
  const t = decodeRouteConfig(routeConfig());
  assert.equal(t.name, 'http.80');
  assert.equal(t.virtualHosts.length, 1);
  const vh = t.virtualHosts[0];
  assert.ok(vh);
  assert.deepEqual(vh.domains, ['shop.example.com', '*.shop.example.com', '*']);
  assert.equal(t.exact.get('shop.example.com'), vh);
  assert.deepEqual(t.suffixes.map((s) => s.suffix), ['.shop.example.com']);
  assert.equal(t.catchAll, vh);
  const [orders, home] = vh.routes;
  assert.ok(orders && home);
  assert.deepEqual(orders.match, {
    path: { kind: 'prefix', value: '/order/', caseSensitive: true },
    headers: [{ name: 'x-env', matcher: { kind: 'exact', value: 'canary', ignoreCase: false }, invert: false }],
    query: [{ name: 'v', matcher: { kind: 'prefix', value: '2', ignoreCase: false } }],
  });
  assert.deepEqual(orders.action, {
    clusters: [
      { name: 'order-v1', weight: 90 },
      { name: 'order-v2', weight: 10 },
    ],
    totalWeight: 100,
    prefixRewrite: '/',
    hostRewrite: 'order.internal',
    timeoutMs: 2500,
  });
  assert.deepEqual(home.action, { clusters: [{ name: 'home', weight: 1 }], totalWeight: 1, prefixRewrite: undefined, hostRewrite: undefined, timeoutMs: 15000 });
});

test('route config: regexes are compiled once, anchored', () => {
  const t = decodeRouteConfig(routeConfig({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { safe_regex: { regex: '/a/[0-9]+' } }, route: { cluster: 'c' } }] }] }));
  const re = t.catchAll?.routes[0]?.match.path.regex;
  assert.ok(re instanceof RegExp);
  assert.equal(re.test('/a/12'), true);
  assert.equal(re.test('/a/12/b'), false);
});

test('route config: a bad regex is refused with its field path', () => {
  rejects(
    () => decodeRouteConfig(routeConfig({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { safe_regex: { regex: '/a/(' } }, route: { cluster: 'c' } }] }] })),
    'route http.80.virtual_hosts[0].routes[0].match.safe_regex.regex',
    /invalid regex/,
  );
  rejects(
    () =>
      decodeRouteConfig(
        routeConfig({
          virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/', headers: [{ name: 'x', string_match: { safe_regex: { regex: '[' } } }] }, route: { cluster: 'c' } }] }],
        }),
      ),
    'route http.80.virtual_hosts[0].routes[0].match.headers[0].string_match.safe_regex.regex',
  );
});

test('route config: weighted clusters summing to 0 are refused', () => {
  const vhs = (clusters: J[]): J => ({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { weighted_clusters: { clusters } } }] }] });
  const ap = 'route http.80.virtual_hosts[0].routes[0].route';
  rejects(() => decodeRouteConfig(routeConfig(vhs([{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }]))), `${ap}.weighted_clusters`, /more than 0/);
  rejects(() => decodeRouteConfig(routeConfig(vhs([{ name: 'a' }]))), `${ap}.weighted_clusters`);
  rejects(() => decodeRouteConfig(routeConfig(vhs([]))), `${ap}.weighted_clusters.clusters`, /empty/);
  rejects(() => decodeRouteConfig(routeConfig(vhs([{ name: 'a', weight: -1 }]))), `${ap}.weighted_clusters.clusters[0].weight`);
  rejects(() => decodeRouteConfig(routeConfig(vhs([{ name: 'a', weight: 1.5 }]))), `${ap}.weighted_clusters.clusters[0].weight`);
});

test('route config: a domain in two virtual hosts is refused, naming the second', () => {
  for (const d of ['a.local', '*.local', 'a.*', '*']) {
    rejects(
      () => decodeRouteConfig(routeConfig({ virtual_hosts: [{ name: 'one', domains: [d], routes: [] }, { name: 'two', domains: ['b.local', d.toUpperCase()], routes: [] }] })),
      'route http.80.virtual_hosts[1].domains',
      new RegExp(`"${d.replace(/[.*]/g, '\\$&')}"`),
    );
  }
});

test('route config: empty domains, missing action, redirect, bad match and bad timeout are refused', () => {
  const rp = 'route http.80.virtual_hosts[0]';
  rejects(() => decodeRouteConfig(routeConfig({ virtual_hosts: [{ name: 'v', domains: [], routes: [] }] })), `${rp}.domains`);
  const withRoute = (r: J): J => routeConfig({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [r] }] });
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' } })), `${rp}.routes[0]`, /route actions/);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, redirect: { path_redirect: '/x' } })), `${rp}.routes[0].redirect`, /not supported/);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: {} })), `${rp}.routes[0].route`, /cluster or weighted_clusters/);
  rejects(() => decodeRouteConfig(withRoute({ match: {}, route: { cluster: 'c' } })), `${rp}.routes[0].match`, /prefix, path or safe_regex/);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: { cluster: 'c', timeout: '5m' } })), `${rp}.routes[0].route.timeout`);
  rejects(
    () => decodeRouteConfig(withRoute({ match: { prefix: '/', headers: [{ name: 'x', string_match: { suffix: '.js' } }] }, route: { cluster: 'c' } })),
    `${rp}.routes[0].match.headers[0].string_match`,
  );
});

test('route config: unknown fields are refused at every level', () => {
  const rp = 'route http.80';
  const r0 = `${rp}.virtual_hosts[0].routes[0]`;
  const withRoute = (r: J): J => routeConfig({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [r] }] });
  rejects(() => decodeRouteConfig(routeConfig({ request_headers_to_add: [] })), `${rp}.request_headers_to_add`, /not supported/);
  rejects(() => decodeRouteConfig(routeConfig({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [], retry_policy: {} }] })), `${rp}.virtual_hosts[0].retry_policy`);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: { cluster: 'c' }, typed_per_filter_config: {} })), `${r0}.typed_per_filter_config`);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/', grpc: {} }, route: { cluster: 'c' } })), `${r0}.match.grpc`);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { num_retries: 3 } } })), `${r0}.route.retry_policy`);
  rejects(
    () => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1, request_headers_to_add: [] }] } } })),
    `${r0}.route.weighted_clusters.clusters[0].request_headers_to_add`,
  );
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/', headers: [{ name: 'x', range_match: {} }] }, route: { cluster: 'c' } })), `${r0}.match.headers[0].range_match`);
  rejects(
    () => decodeRouteConfig(withRoute({ match: { prefix: '/', headers: [{ name: 'x', string_match: { exact: 'y', contains_whitespace: 1 } }] }, route: { cluster: 'c' } })),
    `${r0}.match.headers[0].string_match.contains_whitespace`,
  );
  rejects(
    () => decodeRouteConfig(withRoute({ match: { prefix: '/', query_parameters: [{ name: 'q', string_match: { exact: 'y' }, extra: 1 }] }, route: { cluster: 'c' } })),
    `${r0}.match.query_parameters[0].extra`,
  );
});

test('route config: names the listener field when inline', () => {
  rejects(
    () => decodeListener(listener({}, { rds: undefined, route_config: { name: 'inline', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [], bogus: 1 }] } })),
    'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].bogus',
  );
});

// ---------------------------------------------------------------- CDS / EDS

test('cluster: an EDS cluster decodes with its service and policies', () => {
  assert.deepEqual(decodeCluster(edsCluster()), {
    name: 'outbound|80||order.default.svc.cluster.local',
    type: 'EDS',
    lbPolicy: 'LEAST_REQUEST',
    connectTimeoutMs: 250,
    edsServiceName: 'outbound|80||order.default.svc.cluster.local',
    service: { host: 'order.default.svc.cluster.local', name: 'order', namespace: 'default' },
    staticEndpoints: [],
  } satisfies ClusterConfig);
});

test('cluster: EDS service_name defaults to the cluster name; type and lb_policy have defaults', () => {
  const c = decodeCluster(edsCluster('c1', { eds_cluster_config: { eds_config: ADS() }, lb_policy: undefined, connect_timeout: undefined, metadata: undefined }));
  assert.equal(c.edsServiceName, 'c1');
  assert.equal(c.lbPolicy, 'ROUND_ROBIN');
  assert.equal(c.connectTimeoutMs, 5000);
  assert.equal(c.service, null);
  const s = decodeCluster({ name: 'static' });
  assert.equal(s.type, 'STATIC');
  assert.deepEqual(s.staticEndpoints, []);
});

test('cluster: STATIC and STRICT_DNS clusters carry their inline endpoints', () => {
  const s = decodeCluster({ name: 'inbound|9080||', type: 'STATIC', lb_policy: 'RANDOM', load_assignment: cla('inbound|9080||', [lbEndpoint('127.0.2.1', 9080)]) });
  assert.equal(s.lbPolicy, 'RANDOM');
  assert.deepEqual(s.staticEndpoints, [{ address: '127.0.2.1', port: 9080, weight: 1, workload: undefined, serviceAccount: undefined }]);
  const d = decodeCluster({ name: 'ext', type: 'STRICT_DNS', load_assignment: cla('ext', [lbEndpoint('legacy.corp.internal', 8080)]) });
  assert.equal(d.type, 'STRICT_DNS');
  assert.equal(d.staticEndpoints[0]?.address, 'legacy.corp.internal');
});

test('cluster: an unsupported type is refused', () => {
  rejects(() => decodeCluster(edsCluster('c', { type: 'ORIGINAL_DST' })), 'cluster c.type', /ORIGINAL_DST/);
});

test('cluster: an unsupported lb_policy is refused', () => {
  rejects(() => decodeCluster(edsCluster('c', { lb_policy: 'RING_HASH' })), 'cluster c.lb_policy', /RING_HASH/);
  rejects(() => decodeCluster(edsCluster('c', { lb_policy: 'MAGLEV' })), 'cluster c.lb_policy');
});

test('cluster: an EDS config source other than ADS is refused', () => {
  rejects(
    () => decodeCluster(edsCluster('c', { eds_cluster_config: { eds_config: { path: '/etc/eds.yaml' } } })),
    'cluster c.eds_cluster_config.eds_config',
    /ADS/,
  );
  rejects(() => decodeCluster(edsCluster('c', { eds_cluster_config: undefined })), 'cluster c.eds_cluster_config');
});

test('cluster: unknown fields and bad durations are refused', () => {
  rejects(() => decodeCluster(edsCluster('c', { circuit_breakers: {} })), 'cluster c.circuit_breakers', /not supported/);
  rejects(() => decodeCluster(edsCluster('c', { eds_cluster_config: { eds_config: ADS(), extra: 1 } })), 'cluster c.eds_cluster_config.extra');
  rejects(() => decodeCluster(edsCluster('c', { connect_timeout: '1m' })), 'cluster c.connect_timeout');
  rejects(() => decodeCluster({ name: 's', load_assignment: { cluster_name: 's', named_endpoints: {} } }), 'cluster s.load_assignment.named_endpoints');
});

test('endpoints: weights, Istio metadata, and unhealthy or draining endpoints dropped', () => {
  const eps = decodeEndpoints(
    cla('x', [
      lbEndpoint('127.0.5.1', 80, { load_balancing_weight: 3, metadata: { filter_metadata: { istio: { workload: 'order-v1;default;order;v1;Kubernetes', service_account: 'order' } } } }),
      lbEndpoint('127.0.5.2', 80, { health_status: 'UNHEALTHY' }),
      lbEndpoint('127.0.5.3', 80, { health_status: 'DRAINING' }),
      lbEndpoint('127.0.5.4', 81, { health_status: 'HEALTHY', load_balancing_weight: 0 }),
    ]),
    'cluster_load_assignment x',
  );
  assert.deepEqual(eps, [
    { address: '127.0.5.1', port: 80, weight: 3, workload: 'order-v1;default;order;v1;Kubernetes', serviceAccount: 'order' },
    { address: '127.0.5.4', port: 81, weight: 1, workload: undefined, serviceAccount: undefined },
  ] satisfies EndpointConfig[]);
});

test('endpoints: a bad port and unknown fields are refused with the field path', () => {
  const p = 'cluster_load_assignment x';
  rejects(() => decodeEndpoints(cla('x', [lbEndpoint('127.0.5.1', 70000)]), p), `${p}.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value`);
  rejects(() => decodeEndpoints(cla('x', [lbEndpoint('127.0.5.1', 0)]), p), `${p}.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value`);
  rejects(() => decodeEndpoints(cla('x', [lbEndpoint('127.0.5.1', 80), lbEndpoint('127.0.5.2', 80, { extra: 1 })]), p), `${p}.endpoints[0].lb_endpoints[1].extra`);
  rejects(() => decodeEndpoints({ cluster_name: 'x', endpoints: [{ lb_endpoints: [], extra: 1 }] }, p), `${p}.endpoints[0].extra`);
  rejects(() => decodeEndpoints({ cluster_name: 'x', named_endpoints: {} }, p), `${p}.named_endpoints`);
});

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
  const msg = cm.onResources('cluster', named(edsCluster('a'), edsCluster('z', { lb_policy: 'RING_HASH' })), 'v2');
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
