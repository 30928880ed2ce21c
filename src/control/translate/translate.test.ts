// What the golden files encode, stated as behaviour: a regenerated expected.json can hide a
// regression, these assertions cannot. Tests marked `todo: 'BUG: ...'` state the correct
// behaviour for a known translation bug; they run and report, but do not fail the suite until the
// bug is fixed (then drop the todo).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import type { Resource } from '../../api/types.js';
import type { ProxyMetadata } from '../../xds/node-metadata.js';
import { TYPE_URL } from '../../xds/protos.js';
import { encodeResource } from '../../xds/json-codec.js';
import type { Json } from './clusters.js';
import {
  assertAllEncode,
  deepFreeze,
  goldenCases,
  loadCase,
  loadResources,
  proxyOf,
  sidecarMetadata,
  snapshotOf,
  toGolden,
  type GoldenOutput,
} from './golden.js';
import { translate, type ProxyResources } from './index.js';
import { retryPolicyJson } from './retry.js';

// ---------------------------------------------------------------- helpers

function translateCase(name: string, metadata?: Partial<ProxyMetadata>): ProxyResources {
  const c = loadCase(name);
  const proxy = metadata ? proxyOf({ ...c.proxy.metadata, ...metadata }) : c.proxy;
  return translate(snapshotOf(c.resources), proxy);
}

function translateYaml(yaml: string, metadata: ProxyMetadata = sidecarMetadata()): ProxyResources {
  return translate(snapshotOf(loadResources(yaml, 'inline.yaml')), proxyOf(metadata));
}

function get(set: ReadonlyMap<string, Json>, name: string): Json {
  const r = set.get(name);
  assert.ok(r, `no resource "${name}"; have: ${[...set.keys()].join(', ')}`);
  return r;
}

type VirtualHost = { name: string; domains: string[]; routes: Route[] };
type Route = { name: string; match: Json; route: Json };

function virtualHosts(res: ProxyResources, routeConfig: string): VirtualHost[] {
  return get(res.route, routeConfig).virtual_hosts as VirtualHost[];
}

function vhost(res: ProxyResources, routeConfig: string, name: string): VirtualHost {
  const vh = virtualHosts(res, routeConfig).find((v) => v.name === name);
  assert.ok(vh, `no virtual host "${name}" in ${routeConfig}`);
  return vh;
}

function lbAddresses(cla: Json): string[] {
  const groups = (cla.endpoints ?? []) as { lb_endpoints: { endpoint: { address: { socket_address: { address: string; port_value: number } } } }[] }[];
  return groups.flatMap((g) => g.lb_endpoints.map((e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`));
}

function hcmOf(listener: Json): Json {
  const chains = listener.filter_chains as { filters: { name: string; typed_config: Json }[] }[];
  const f = chains[0]?.filters[0];
  assert.ok(f, 'listener has no filter');
  return f.typed_config;
}


const ORDER = 'order.default.svc.cluster.local';
const REVIEWS = 'reviews.default.svc.cluster.local';

// ---------------------------------------------------------------- (1) sidecar beside a local workload

test('sidecar-gets-inbound-listener-and-static-cluster-per-workload-port', () => {
  const res = translateCase('sidecar-local-workload');
  const inbound = get(res.listener, 'inbound|80');
  assert.deepEqual(inbound.address, { socket_address: { address: '127.0.1.1', port_value: 80 } });
  assert.equal(inbound.traffic_direction, 'INBOUND');
  const rc = hcmOf(inbound).route_config as { virtual_hosts: VirtualHost[] };
  assert.equal(rc.virtual_hosts[0]?.routes[0]?.route.cluster, 'inbound|80||');
  const cluster = get(res.cluster, 'inbound|80||');
  assert.equal(cluster.type, 'STATIC');
  assert.deepEqual(lbAddresses(cluster.load_assignment as Json), ['127.0.1.1:8080'], 'inbound goes to the app on its containerPort');
  assert.deepEqual(lbAddresses(get(res.cluster, 'inbound|9090||').load_assignment as Json), ['127.0.1.1:9091']);
  assert.ok(res.listener.has('inbound|9090'));
});

test('sidecar-outbound-listener-binds-the-instance-address-on-15001-by-default', () => {
  const res = translateCase('sidecar-local-workload');
  const out = get(res.listener, 'outbound_http');
  assert.deepEqual(out.address, { socket_address: { address: '127.0.1.1', port_value: 15001 } });
  assert.deepEqual((hcmOf(out).rds as Json).route_config_name, 'outbound_http');
  const custom = translateCase('sidecar-local-workload', { OUTBOUND_PORT: 15101 });
  assert.deepEqual(get(custom.listener, 'outbound_http').address, { socket_address: { address: '127.0.1.1', port_value: 15101 } });
});

test('default-route-without-virtual-service-goes-to-the-service-port-cluster', () => {
  const res = translateCase('sidecar-local-workload');
  const vh = vhost(res, 'outbound_http', `${ORDER}:80`);
  assert.deepEqual(vh.routes, [
    { name: 'default', match: { prefix: '/' }, route: { cluster: `outbound|80||${ORDER}`, timeout: '0s', retry_policy: retryPolicyJson(undefined) } },
  ]);
});

test('domains-include-same-namespace-short-names-and-bare-names-only-on-port-80', () => {
  const res = translateCase('sidecar-local-workload');
  assert.deepEqual(new Set(vhost(res, 'outbound_http', `${ORDER}:80`).domains), new Set([
    `${ORDER}:80`, ORDER, 'order:80', 'order', 'order.default:80', 'order.default', 'order.default.svc:80', 'order.default.svc',
  ]));
  assert.deepEqual(new Set(vhost(res, 'outbound_http', `${ORDER}:9090`).domains), new Set([
    `${ORDER}:9090`, 'order:9090', 'order.default:9090', 'order.default.svc:9090',
  ]));
});

test('both-registered-instances-are-endpoints-on-their-registered-ports', () => {
  const res = translateCase('sidecar-local-workload');
  assert.deepEqual(lbAddresses(get(res.endpoint, `outbound|80||${ORDER}`)), ['127.0.1.1:80', '127.0.1.2:80']);
  assert.deepEqual(lbAddresses(get(res.endpoint, `outbound|9090||${ORDER}`)), ['127.0.1.1:9090', '127.0.1.2:9090']);
});

test('a-sidecar-whose-workload-is-unknown-gets-no-inbound-listeners-or-clusters', () => {
  const res = translateCase('sidecar-local-workload', { WORKLOAD_NAME: 'not-configured' });
  assert.deepEqual([...res.listener.keys()], ['outbound_http']);
  assert.ok(![...res.cluster.keys()].some((n) => n.startsWith('inbound|')));
});

test('a-sidecar-only-gets-inbound-for-its-own-namespace-workload', () => {
  const res = translateCase('sidecar-local-workload', { NAMESPACE: 'other' });
  assert.deepEqual([...res.listener.keys()], ['outbound_http']);
});

// ---------------------------------------------------------------- (2) bookinfo reviews

test('bookinfo-header-match-routes-jason-to-v2-first', () => {
  const res = translateCase('bookinfo-reviews');
  const [first, second, ...rest] = vhost(res, 'outbound_http', `${REVIEWS}:9080`).routes;
  assert.deepEqual(rest, []);
  assert.deepEqual(first?.match, { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] });
  assert.equal(first?.route.cluster, `outbound|9080|v2|${REVIEWS}`);
  assert.deepEqual(second?.match, { prefix: '/' });
  assert.deepEqual(second?.route.weighted_clusters, {
    clusters: [
      { name: `outbound|9080|v1|${REVIEWS}`, weight: 80 },
      { name: `outbound|9080|v3|${REVIEWS}`, weight: 20 },
    ],
  });
  assert.equal(second?.route.cluster, undefined, 'cluster and weighted_clusters are a oneof');
});

test('bookinfo-every-subset-gets-an-eds-cluster-tagged-with-its-subset', () => {
  const res = translateCase('bookinfo-reviews');
  for (const subset of ['', 'v1', 'v2', 'v3']) {
    const c = get(res.cluster, `outbound|9080|${subset}|${REVIEWS}`);
    assert.equal(c.type, 'EDS');
    assert.deepEqual(c.eds_cluster_config, { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: c.name });
    const istio = (c.metadata as { filter_metadata: { istio: Json } }).filter_metadata.istio;
    assert.equal(istio.subset, subset === '' ? undefined : subset);
    assert.deepEqual(istio.services, [{ host: REVIEWS, name: 'reviews', namespace: 'default' }]);
  }
});

test('bookinfo-subset-endpoints-are-filtered-by-version-label', () => {
  const res = translateCase('bookinfo-reviews');
  assert.deepEqual(lbAddresses(get(res.endpoint, `outbound|9080|v1|${REVIEWS}`)), ['127.0.3.1:9080']);
  assert.deepEqual(lbAddresses(get(res.endpoint, `outbound|9080|v2|${REVIEWS}`)), ['127.0.3.2:9080', '127.0.3.3:9080']);
  assert.deepEqual(lbAddresses(get(res.endpoint, `outbound|9080|v3|${REVIEWS}`)), ['127.0.3.4:9080']);
  assert.equal(lbAddresses(get(res.endpoint, `outbound|9080||${REVIEWS}`)).length, 4);
});

test('bookinfo-endpoint-metadata-names-workload-namespace-app-version', () => {
  const res = translateCase('bookinfo-reviews');
  const cla = get(res.endpoint, `outbound|9080|v2|${REVIEWS}`) as { endpoints: { lb_endpoints: Json[] }[] };
  assert.deepEqual(cla.endpoints[0]?.lb_endpoints[0]?.metadata, {
    filter_metadata: { istio: { workload: 'reviews-v2;default;reviews;v2;Kubernetes', service_account: 'bookinfo-reviews' } },
  });
});

// ---------------------------------------------------------------- (3) matches, rewrite, timeout

test('virtual-service-routes-keep-order-one-envoy-route-per-match', () => {
  const res = translateCase('vs-match-rewrite-timeout');
  const routes = vhost(res, 'outbound_http', 'catalog.default.svc.cluster.local:80').routes;
  assert.deepEqual(
    routes.map((r) => r.name),
    [
      'default/catalog/http[0]/health',
      'default/catalog/http[1]/api',
      'default/catalog/http[1]/api',
      'default/catalog/http[2]/item',
      'default/catalog/http[3]/by-authority',
      'default/catalog/http[4]',
    ],
  );
  const [health, apiGet, apiWrite, item, byAuthority, rest] = routes;
  assert.deepEqual(health?.match, { path: '/healthz' });
  assert.equal(health?.route.timeout, '2s');
  assert.deepEqual(apiGet?.match, { prefix: '/API/', case_sensitive: false, headers: [{ name: ':method', string_match: { exact: 'GET' } }] });
  assert.deepEqual(apiWrite?.match, { prefix: '/api/', headers: [{ name: ':method', string_match: { safe_regex: { regex: 'POST|PUT' } } }] });
  for (const r of [apiGet, apiWrite]) {
    assert.equal(r?.route.prefix_rewrite, '/v2/');
    assert.equal(r?.route.host_rewrite_literal, 'catalog-v2.internal');
    assert.equal(r?.route.timeout, '1.5s');
  }
  assert.deepEqual(item?.match, {
    safe_regex: { regex: '^/items/[0-9]+$' },
    headers: [
      { name: 'x-tenant', string_match: { prefix: 'acme-' } },
      { name: 'x-debug', string_match: { exact: '1' }, invert_match: true },
    ],
    query_parameters: [{ name: 'view', string_match: { exact: 'full' } }],
  });
  assert.equal(item?.route.timeout, '0s', 'no timeout means disabled, as in Istio');
  assert.deepEqual(byAuthority?.match, { prefix: '/', headers: [{ name: ':authority', string_match: { exact: 'catalog.example.com' } }] });
  assert.equal(byAuthority?.route.prefix_rewrite, '/');
  assert.equal(byAuthority?.route.host_rewrite_literal, undefined);
  assert.equal(rest?.route.timeout, '0.25s');
});

// ---------------------------------------------------------------- (4) gateway

test('gateway-listener-binds-the-mapped-port-and-serves-the-server-port-route', () => {
  const res = translateCase('gateway-ingress');
  assert.deepEqual([...res.listener.keys()], ['0.0.0.0_80'], 'only the selected Gateway (not the egress one) makes listeners');
  const l = get(res.listener, '0.0.0.0_80');
  assert.deepEqual(l.address, { socket_address: { address: '127.0.0.1', port_value: 8080 } });
  const hcm = hcmOf(l);
  assert.equal((hcm.rds as Json).route_config_name, 'http.80');
  assert.equal(hcm.strip_any_host_port, true);
  assert.equal(hcm.use_remote_address, true);
  assert.deepEqual([...res.route.keys()], ['http.80']);
});

test('gateway-routes-come-from-bound-virtual-services-only', () => {
  const res = translateCase('gateway-ingress');
  const vhs = virtualHosts(res, 'http.80');
  assert.deepEqual(vhs.map((v) => [v.name, v.domains]), [['*:80', ['*']]]);
  assert.deepEqual(vhs[0]?.routes, [
    {
      name: 'default/shop/http[0]/order',
      match: { prefix: '/order/' },
      route: { cluster: `outbound|80||${ORDER}`, prefix_rewrite: '/', timeout: '0s', retry_policy: retryPolicyJson(undefined) },
    },
    { name: 'default/shop/http[1]/home', match: { prefix: '/' }, route: { cluster: 'outbound|80||home.default.svc.cluster.local', timeout: '0s', retry_policy: retryPolicyJson(undefined) } },
  ]);
  const all = JSON.stringify(toGolden(res));
  assert.ok(!all.includes('order-retries'), 'the mesh-only VirtualService must not reach the gateway');
  assert.ok(!all.includes('"3s"'));
});

test('sidecars-get-the-mesh-virtual-service-and-not-the-gateway-one', () => {
  const res = translateCase('gateway-ingress', { type: 'sidecar', LABELS: { app: 'web' }, WORKLOAD_NAME: 'web' });
  assert.deepEqual([...res.route.keys()], ['outbound_http']);
  const routes = vhost(res, 'outbound_http', `${ORDER}:80`).routes;
  assert.deepEqual(routes.map((r) => [r.name, r.route.timeout]), [['default/order-retries/http[0]', '3s']]);
  assert.ok(!JSON.stringify(toGolden(res)).includes('default/shop/'));
});

test('a-router-without-a-selecting-gateway-gets-no-listeners', () => {
  const res = translateCase('gateway-ingress', { LABELS: { istio: 'somethingelse' } });
  assert.equal(res.listener.size, 0);
  assert.equal(res.route.size, 0);
  assert.ok(res.cluster.size > 0, 'clusters are still sent');
});

test('gateway-without-port-map-binds-the-server-port', () => {
  const c = loadCase('gateway-ingress');
  const { PORT_MAP: _drop, ...rest } = c.proxy.metadata;
  const res = translate(snapshotOf(c.resources), proxyOf(rest));
  assert.deepEqual(get(res.listener, '0.0.0.0_80').address, { socket_address: { address: '127.0.0.1', port_value: 80 } });
});

// ---------------------------------------------------------------- (5) service entries

test('service-entry-workload-selector-picks-same-namespace-matching-entries', () => {
  const res = translateCase('service-entries');
  const cla = get(res.endpoint, 'outbound|8080||legacy.corp.internal') as { endpoints: { lb_endpoints: Json[] }[] };
  assert.deepEqual(lbAddresses(cla), ['10.0.0.11:9080', '10.0.0.12:9081']);
  assert.deepEqual(cla.endpoints[0]?.lb_endpoints.map((e) => e.load_balancing_weight), [1, 3]);
});

test('external-dns-service-entry-gets-a-cluster-and-a-port-80-virtual-host', () => {
  const res = translateCase('service-entries');
  assert.ok(res.cluster.has('outbound|80||httpbin.org'));
  assert.deepEqual(vhost(res, 'outbound_http', 'httpbin.org:80').domains, ['httpbin.org:80', 'httpbin.org']);
  const istio = (get(res.cluster, 'outbound|80||httpbin.org').metadata as { filter_metadata: { istio: Json } }).filter_metadata.istio;
  assert.deepEqual(istio.services, [{ host: 'httpbin.org', name: 'httpbin.org', namespace: 'default' }]);
});

// ---------------------------------------------------------------- (6) load balancer

test('lb-policy-top-level-subset-override-and-istio-default', () => {
  const res = translateCase('destination-rule-lb');
  const lb = (n: string): unknown => get(res.cluster, n).lb_policy;
  assert.equal(lb('outbound|9080||ratings.default.svc.cluster.local'), 'ROUND_ROBIN');
  assert.equal(lb('outbound|9080|v1|ratings.default.svc.cluster.local'), 'ROUND_ROBIN', 'subset inherits the top-level policy');
  assert.equal(lb('outbound|9080|v2|ratings.default.svc.cluster.local'), 'RANDOM', 'subset policy overrides');
  assert.equal(lb('outbound|9080||details.default.svc.cluster.local'), 'LEAST_REQUEST', "Istio's default");
});

// ---------------------------------------------------------------- (7) namespaces

test('short-host-in-a-virtual-service-resolves-in-its-own-namespace', () => {
  const res = translateCase('cross-namespace');
  const shop = vhost(res, 'outbound_http', 'cart.shop.svc.cluster.local:80');
  assert.deepEqual(shop.routes.map((r) => [r.name, r.route.cluster, r.route.timeout]), [
    ['shop/cart/http[0]', 'outbound|80||cart.shop.svc.cluster.local', '5s'],
  ]);
  const dflt = vhost(res, 'outbound_http', 'cart.default.svc.cluster.local:80');
  assert.deepEqual(dflt.routes.map((r) => r.name), ['default'], 'the shop VirtualService does not capture cart.default');
});

test('short-names-are-offered-only-to-clients-in-the-same-namespace', () => {
  const fromDefault = translateCase('cross-namespace');
  const shopDomains = vhost(fromDefault, 'outbound_http', 'cart.shop.svc.cluster.local:80').domains;
  assert.ok(!shopDomains.includes('cart') && !shopDomains.includes('cart:80'));
  assert.ok(shopDomains.includes('cart.shop') && shopDomains.includes('cart.shop.svc:80'));
  assert.ok(vhost(fromDefault, 'outbound_http', 'cart.default.svc.cluster.local:80').domains.includes('cart'));

  const fromShop = translateCase('cross-namespace', { NAMESPACE: 'shop' });
  assert.ok(vhost(fromShop, 'outbound_http', 'cart.shop.svc.cluster.local:80').domains.includes('cart'));
  assert.ok(!vhost(fromShop, 'outbound_http', 'cart.default.svc.cluster.local:80').domains.includes('cart'));
});

test('no-domain-appears-in-two-virtual-hosts-of-one-route-config', () => {
  // Envoy rejects a RouteConfiguration whose virtual hosts share a domain.
  for (const name of goldenCases()) {
    const res = translateCase(name);
    for (const [rcName, rc] of res.route) {
      const seen = new Map<string, string>();
      for (const vh of rc.virtual_hosts as VirtualHost[]) {
        for (const d of vh.domains) {
          const key = d.toLowerCase();
          assert.ok(!seen.has(key), `${name} ${rcName}: domain "${d}" in both ${seen.get(key)} and ${vh.name}`);
          seen.set(key, vh.name);
        }
      }
    }
  }
});

// ---------------------------------------------------------------- context-dependent matches

test('match-source-labels-port-and-gateways-filter-per-context-on-a-sidecar', () => {
  const res = translateCase('match-context');
  const api = 'api.default.svc.cluster.local';
  assert.deepEqual(vhost(res, 'outbound_http', `${api}:80`).routes.map((r) => r.name), [
    'default/api/http[0]/frontend-v1',
    'default/api/http[4]/mesh-only',
    'default/api/http[5]/rest',
  ]);
  assert.deepEqual(vhost(res, 'outbound_http', `${api}:8000`).routes.map((r) => [r.name, r.route.cluster]), [
    ['default/api/http[0]/frontend-v1', `outbound|8000||${api}`],
    ['default/api/http[2]/alt-port-only', `outbound|8000||${api}`],
    ['default/api/http[4]/mesh-only', `outbound|8000||${api}`],
    ['default/api/http[5]/rest', `outbound|8000||${api}`],
  ]);
  // Without an explicit port, a multi-port destination is reached on the port the request came in on.
  assert.equal(vhost(res, 'outbound_http', `${api}:80`).routes[2]?.route.cluster, `outbound|80||${api}`);
  // A host no service has still gets a port-80 virtual host.
  assert.deepEqual(vhost(res, 'outbound_http', 'shop.example.com:80').domains, ['shop.example.com:80', 'shop.example.com']);
});

test('match-source-labels-and-gateways-on-the-gateway', () => {
  const res = translateCase('match-context', {
    type: 'router',
    NAME: 'gw-0',
    WORKLOAD_NAME: 'gw',
    LABELS: { istio: 'ingressgateway' },
  });
  const vhs = virtualHosts(res, 'http.80');
  assert.deepEqual(vhs.map((v) => [v.name, v.domains]), [['api.default.svc.cluster.local:80', ['api.default.svc.cluster.local']]]);
  assert.deepEqual(vhs[0]?.routes.map((r) => r.name), ['default/api/http[3]/gateway-only', 'default/api/http[5]/rest']);
  assert.ok(!JSON.stringify(toGolden(res)).includes('shop.example.com'), 'storefront is bound to the mesh only');
});

// ---------------------------------------------------------------- (8) purity

test('translation-is-pure-and-never-writes-into-the-snapshot', () => {
  const all: Resource[] = [];
  for (const name of goldenCases()) all.push(...loadCase(name).resources);
  const resources = deepFreeze(all.filter((r, i) => all.findIndex((o) => o.kind === r.kind && o.metadata.namespace === r.metadata.namespace && o.metadata.name === r.metadata.name) === i));
  const snapshot = deepFreeze(snapshotOf(resources, 7));
  const before = JSON.stringify([...snapshot.services], null, 0);
  const proxies = goldenCases().map((n) => deepFreeze(loadCase(n).proxy));
  const first = proxies.map((p) => toGolden(translate(snapshot, p)));
  // Interleave differently: results must not depend on what was translated before.
  const second: GoldenOutput[] = [];
  for (const p of [...proxies].reverse()) second.unshift(toGolden(translate(snapshot, p)));
  assert.deepStrictEqual(second, first);
  assert.equal(JSON.stringify([...snapshot.services], null, 0), before);
  for (const p of proxies) assertAllEncode(translate(snapshot, p));
});

test(
  'translation-does-not-depend-on-the-order-resources-arrive-in',
  () => {
    for (const name of goldenCases()) {
      const c = loadCase(name);
      const forward = toGolden(translate(snapshotOf(c.resources), c.proxy));
      const backward = toGolden(translate(snapshotOf([...c.resources].reverse()), c.proxy));
      assert.deepStrictEqual(backward, forward, name);
    }
  },
);

test('deep-freeze-helper-catches-writes-to-objects-and-maps', () => {
  const frozen = deepFreeze({ list: [{ a: 1 }], map: new Map([['k', { v: 1 }]]) });
  assert.throws(() => {
    (frozen.list[0] as { a: number }).a = 2;
  }, TypeError);
  assert.throws(() => frozen.map.set('x', { v: 2 }), TypeError);
  assert.throws(() => frozen.map.delete('k'), TypeError);
  assert.throws(() => {
    (frozen.map.get('k') as { v: number }).v = 3;
  }, TypeError);
});

// ---------------------------------------------------------------- regressions of bugs found in review

const EXTERNAL_DNS = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin}
spec:
  hosts: [httpbin.org]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
`;

test(
  'dns-service-entry-gets-a-strict-dns-cluster-and-eds-only-carries-ip-addresses',
  () => {
    const res = translateYaml(EXTERNAL_DNS);
    const cluster = get(res.cluster, 'outbound|80||httpbin.org');
    assert.equal(cluster.type, 'STRICT_DNS');
    assert.deepEqual(lbAddresses(cluster.load_assignment as Json), ['httpbin.org:80']);
    for (const cla of res.endpoint.values()) {
      for (const a of lbAddresses(cla)) assert.ok(isIP(a.slice(0, a.lastIndexOf(':'))) !== 0, `EDS address ${a} is not an IP`);
    }
  },
);

test(
  'workload-entry-weight-0-still-gives-an-envoy-valid-load-balancing-weight',
  () => {
    const res = translateYaml(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy}
spec:
  hosts: [legacy.corp.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints:
  - {address: 10.0.0.1, weight: 0}
`);
    const cla = get(res.endpoint, 'outbound|8080||legacy.corp.internal') as { endpoints: { lb_endpoints: Json[] }[] };
    for (const e of cla.endpoints[0]?.lb_endpoints ?? []) assert.ok(Number(e.load_balancing_weight) >= 1);
  },
);

test(
  'service-entry-target-port-is-the-endpoint-port-when-the-endpoint-names-none',
  () => {
    const res = translateYaml(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy}
spec:
  hosts: [legacy.corp.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 8080}]
  endpoints:
  - {address: 10.0.0.1}
  - {address: 10.0.0.2, ports: {http: 9090}}
`);
    assert.deepEqual(lbAddresses(get(res.endpoint, 'outbound|80||legacy.corp.internal')), ['10.0.0.1:8080', '10.0.0.2:9090']);
  },
);

const TCP_WORKLOAD = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: db}
spec:
  service: db
  ports:
  - {name: tcp-postgres, containerPort: 15432, servicePort: 5432}
  command: [postgres]
`;

test('tcp-workload-ports-get-a-tcp-proxy-inbound-listener-not-http', () => {
  // Parsing a TCP protocol (e.g. a database) as HTTP would break it: the listener runs tcp_proxy.
  const res = translateYaml(TCP_WORKLOAD, sidecarMetadata({ NAME: 'db-0', WORKLOAD_NAME: 'db' }));
  const l = JSON.stringify(res.listener.get('inbound|5432'));
  assert.match(l, /envoy\.filters\.network\.tcp_proxy/);
  assert.doesNotMatch(l, /http_connection_manager/);
  assert.match(l, /"cluster":"inbound\|5432\|\|"/);
  assert.equal(res.cluster.has('inbound|5432||'), true);
  assertAllEncode(res);
});

test(
  'timeouts-below-a-microsecond-still-give-a-valid-duration',
  () => {
    const res = translateYaml(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy}
spec:
  hosts: [legacy.corp.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 10.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: legacy}
spec:
  hosts: [legacy.corp.internal]
  http:
  - route: [{destination: {host: legacy.corp.internal}}]
    timeout: 100ns
`);
    const rc = get(res.route, 'outbound_http');
    assert.doesNotThrow(() => encodeResource(TYPE_URL.route, rc));
  },
);

test(
  'a-virtual-service-for-a-known-service-adds-no-virtual-host-on-a-port-the-service-lacks',
  () => {
    const res = translateCase('bookinfo-reviews');
    assert.deepEqual(
      virtualHosts(res, 'outbound_http').map((v) => v.name).filter((n) => n.startsWith('reviews.')),
      [`${REVIEWS}:9080`],
    );
  },
);

