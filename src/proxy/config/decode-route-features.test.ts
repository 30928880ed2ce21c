// The proxy accepts exactly the route features the control plane emits (the vs-route-features
// golden, through the proto codec) and refuses anything else with the field path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { decodeRouteConfig } from './decode-route.js';
import { ConfigRejection } from './check.js';
import { decodeResource, encodeResource } from '../../xds/json-codec.js';
import { TYPE_URL } from '../../xds/protos.js';
import { testdataDir } from '../../control/translate/golden.js';
import type { Route } from './types.js';

type J = Record<string, unknown>;

function goldenRoutes(): Route[] {
  const expected = JSON.parse(fs.readFileSync(`${testdataDir('vs-route-features')}/expected.json`, 'utf8')) as { routes: J[] };
  const rc = expected.routes[0]!;
  const wire = decodeResource(TYPE_URL.route, encodeResource(TYPE_URL.route, rc));
  const table = decodeRouteConfig(wire);
  const vh = table.virtualHosts.find((v) => v.name.startsWith('catalog'))!;
  return vh.routes;
}

const byName = (routes: Route[], suffix: string): Route => routes.find((r) => r.name.endsWith(suffix))!;

test('decodes every route feature the control plane emits (after the proto round trip)', () => {
  const routes = goldenRoutes();
  const faults = byName(routes, '/faults').filters!;
  assert.deepEqual(faults.fault, { delay: { ms: 20, fraction: 0.3 }, abort: { httpStatus: 503, grpcStatus: null, fraction: 0.5 } });
  assert.deepEqual(byName(routes, '/grpc-fault').filters!.fault, { delay: { ms: 1000, fraction: 0.1 }, abort: { httpStatus: null, grpcStatus: 14, fraction: 0.005 } });
  assert.deepEqual(byName(routes, '/mirrored').filters!.mirrors, [
    { cluster: 'outbound|80|v2|catalog.default.svc.cluster.local', fraction: 0.25 },
    { cluster: 'outbound|80||web.default.svc.cluster.local', fraction: 1 },
  ]);
  const headers = byName(routes, '/headers').filters!.headers;
  assert.deepEqual(headers.request, {
    remove: ['x-remove'],
    add: [
      { name: 'x-set', value: 'one', overwrite: true },
      { name: 'x-add', value: 'two', overwrite: false },
      { name: 'x-destination', value: 'catalog', overwrite: true },
    ],
  });
  const split = byName(routes, '/weighted-headers').filters!;
  assert.deepEqual(split.perCluster.get('outbound|80|v1|catalog.default.svc.cluster.local'), { request: null, response: { remove: [], add: [{ name: 'x-version', value: 'v1', overwrite: false }] } });
  assert.deepEqual(byName(routes, '/moved').filters!.local, { kind: 'redirect', status: 308, scheme: 'https', host: 'shop.example.com', port: 8443, path: '/new' });
  assert.deepEqual(byName(routes, '/teapot').filters!.local, { kind: 'direct', status: 418, body: "I'm a teapot" });
  const cors = byName(routes, '/cors').filters!.cors!;
  assert.equal(cors.origins.length, 3);
  assert.deepEqual({ ...cors, origins: [] }, { origins: [], allowMethods: 'GET,POST', allowHeaders: 'x-custom', exposeHeaders: 'x-upstream', maxAge: '86400', allowCredentials: true });
  // A route without features carries no filters at all (no per-request cost).
  const plain = decodeRouteConfig({ name: 'p', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }] });
  assert.equal(plain.virtualHosts[0]!.routes[0]!.filters, undefined);
});

function rejectsAt(route: J, path: string): void {
  const rc = { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, ...route }] }] };
  assert.throws(() => decodeRouteConfig(rc), (e: unknown) => {
    assert.ok(e instanceof ConfigRejection, String(e));
    assert.ok(e.path.startsWith(`route r.virtual_hosts[0].routes[0]${path}`), `${e.path} (${e.message})`);
    return true;
  });
}

test('anything else is refused with the field path (NACK)', () => {
  const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
  rejectsAt({ route: { cluster: 'c' }, typed_per_filter_config: { 'envoy.filters.http.lua': { '@type': 'x' } } }, '.typed_per_filter_config["envoy.filters.http.lua"]');
  rejectsAt({ route: { cluster: 'c' }, typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': FAULT, max_active_faults: 3 } } }, '.typed_per_filter_config["envoy.filters.http.fault"].max_active_faults');
  rejectsAt({ route: { cluster: 'c' }, typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': FAULT, abort: { http_status: 503, grpc_status: 2 } } } }, '.typed_per_filter_config["envoy.filters.http.fault"].abort');
  rejectsAt({ route: { cluster: 'c' }, typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': FAULT, delay: { header_delay: {} } } } }, '.typed_per_filter_config["envoy.filters.http.fault"].delay.header_delay');
  rejectsAt({ route: { cluster: 'c' }, request_headers_to_add: [{ header: { key: 'x', value: 'y' }, append_action: 'ADD_IF_ABSENT' }] }, '.request_headers_to_add[0].append_action');
  rejectsAt({ route: { cluster: 'c', request_mirror_policies: [{ cluster: 'm', trace_sampled: true }] } }, '.route.request_mirror_policies[0].trace_sampled');
  rejectsAt({ redirect: { https_redirect: true } }, '.redirect.https_redirect');
  rejectsAt({ direct_response: { status: 200, body: { filename: '/etc/passwd' } } }, '.direct_response.body.filename');
  rejectsAt({ route: { cluster: 'c' }, direct_response: { status: 200 } }, '');
  rejectsAt({ route: { cluster: 'c', weighted_clusters: undefined }, typed_per_filter_config: { 'envoy.filters.http.cors': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy', allow_origin: ['*'] } } }, '.typed_per_filter_config["envoy.filters.http.cors"].allow_origin');
});
