// xDS JSON → runtime config: what decodes, what is refused (every refusal names the field, since it
// becomes the NACK's error_detail), how ConfigManager keeps the last good config, when it counts as
// initialized, and a round trip proving the control plane never emits what this proxy rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCluster, decodeEndpoints } from './decode-cluster.js';
import { decodeListener } from './decode-listener.js';
import { decodeRouteConfig } from './decode-route.js';
import type { ClusterConfig, EndpointConfig } from './types.js';
import { ADS, ROUTER, cla, edsCluster, lbEndpoint, listener, rejects, routeConfig, type J } from './decode-fixtures.js';
import { NO_LIMITS } from './cluster-policy.js';
import { DEFAULT_LB_CONFIG } from './lb-config.js';

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

test('listener: a network filter other than the HTTP connection manager and tcp_proxy is refused', () => {
  const l = listener({
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.redis_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.redis_proxy.v3.RedisProxy' } }] }],
  });
  rejects(() => decodeListener(l), 'listener 0.0.0.0_80.filter_chains[0].filters[0].typed_config', /RedisProxy/);
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
  rejects(() => decodeListener(listener({}, { tracing: { verbose: true } })), `${tc}.tracing.verbose`);
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
    retry: undefined,
    retryBudget: undefined,
  });
  assert.deepEqual(home.action, { clusters: [{ name: 'home', weight: 1 }], totalWeight: 1, prefixRewrite: undefined, hostRewrite: undefined, timeoutMs: 15000, retry: undefined, retryBudget: undefined });
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

test('route config: empty domains, missing action, unsupported redirect, bad match and bad timeout are refused', () => {
  const rp = 'route http.80.virtual_hosts[0]';
  rejects(() => decodeRouteConfig(routeConfig({ virtual_hosts: [{ name: 'v', domains: [], routes: [] }] })), `${rp}.domains`);
  const withRoute = (r: J): J => routeConfig({ virtual_hosts: [{ name: 'v', domains: ['*'], routes: [r] }] });
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' } })), `${rp}.routes[0]`, /exactly one of route, redirect or direct_response/);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, redirect: { https_redirect: true } })), `${rp}.routes[0].redirect.https_redirect`, /not supported/);
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
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: { cluster: 'c' }, typed_per_filter_config: { 'envoy.filters.http.lua': {} } })), `${r0}.typed_per_filter_config["envoy.filters.http.lua"]`);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/', grpc: {} }, route: { cluster: 'c' } })), `${r0}.match.grpc`);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: { cluster: 'c', hash_policy: [{ filter_state: { key: 'k' } }] } })), `${r0}.route.hash_policy[0].filter_state`);
  rejects(() => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { num_retries: 3, retry_back_off: {} } } })), `${r0}.route.retry_policy.retry_back_off`);
  rejects(
    () => decodeRouteConfig(withRoute({ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: 1, typed_per_filter_config: {} }] } } })),
    `${r0}.route.weighted_clusters.clusters[0].typed_per_filter_config`,
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
    lb: DEFAULT_LB_CONFIG,
    connectTimeoutMs: 250,
    edsServiceName: 'outbound|80||order.default.svc.cluster.local',
    service: { host: 'order.default.svc.cluster.local', name: 'order', namespace: 'default' },
    staticEndpoints: [],
    pool: { limits: NO_LIMITS, maxRequestsPerConnection: 0, idleTimeoutMs: 3_600_000, tcpKeepalive: null },
    outlierDetection: null,
    healthyPanicThreshold: 50,
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
  rejects(() => decodeCluster(edsCluster('c', { type: 'REDIS' })), 'cluster c.type', /REDIS/);
  // ORIGINAL_DST is supported only in its PassthroughCluster shape (decode-original-dst.test.ts).
  rejects(() => decodeCluster(edsCluster('c', { type: 'ORIGINAL_DST' })), 'cluster c.lb_policy', /CLUSTER_PROVIDED/);
});

test('cluster: an unsupported lb_policy is refused', () => {
  rejects(() => decodeCluster(edsCluster('c', { lb_policy: 'CLUSTER_PROVIDED' })), 'cluster c.lb_policy', /CLUSTER_PROVIDED/);
  rejects(() => decodeCluster(edsCluster('c', { lb_policy: 'LOAD_BALANCING_POLICY_CONFIG' })), 'cluster c.lb_policy');
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
  rejects(() => decodeCluster(edsCluster('c', { health_checks: [] })), 'cluster c.health_checks', /not supported/);
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

