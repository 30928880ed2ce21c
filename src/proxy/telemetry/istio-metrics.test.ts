import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../telemetry/prom.js';
import { parseExposition, findSamples, sampleValue } from '../../telemetry/exposition-parser.js';
import type { ParsedExposition } from '../../telemetry/exposition-parser.js';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import { ISTIO_LABEL_NAMES, IstioMetrics, resolveIstioLabels } from './istio-metrics.js';
import type { RequestRecord } from './istio-metrics.js';

const frontend: PeerMetadata = {
  workload: 'frontend-v1',
  namespace: 'shop',
  app: 'frontend',
  version: 'v1',
  serviceAccount: 'frontend',
  principal: 'spiffe://cluster.local/ns/shop/sa/frontend',
  cluster: 'local',
};

const shipping: PeerMetadata = {
  workload: 'shipping-v2',
  namespace: 'shop',
  app: 'shipping',
  version: 'v2',
  serviceAccount: 'shipping',
  principal: 'spiffe://cluster.local/ns/shop/sa/shipping',
  cluster: 'local',
};

function request(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    reporter: 'source',
    source: frontend,
    destination: shipping,
    destinationService: { host: 'shipping.shop.svc.cluster.local', name: 'shipping', namespace: 'shop' },
    requestProtocol: 'http',
    responseCode: 200,
    responseFlags: '-',
    connectionSecurityPolicy: 'unknown',
    durationMs: 12,
    requestBytes: 300,
    responseBytes: 4500,
    ...overrides,
  };
}

/** The label set of the single istio_requests_total series. */
function onlySeries(p: ParsedExposition): Record<string, string> {
  const series = findSamples(p, 'istio_requests_total');
  assert.equal(series.length, 1);
  return series[0]?.labels ?? {};
}

function recordAndParse(r: RequestRecord): ParsedExposition {
  const registry = new Registry();
  new IstioMetrics(registry).record(r);
  return parseExposition(registry.render());
}

test('both peers known: every label from the peers, the service and the request', () => {
  const p = recordAndParse(request());
  assert.deepEqual(onlySeries(p), {
    reporter: 'source',
    source_workload: 'frontend-v1',
    source_workload_namespace: 'shop',
    source_principal: 'spiffe://cluster.local/ns/shop/sa/frontend',
    source_app: 'frontend',
    source_version: 'v1',
    source_canonical_service: 'frontend',
    source_canonical_revision: 'v1',
    destination_workload: 'shipping-v2',
    destination_workload_namespace: 'shop',
    destination_principal: 'spiffe://cluster.local/ns/shop/sa/shipping',
    destination_app: 'shipping',
    destination_version: 'v2',
    destination_service: 'shipping.shop.svc.cluster.local',
    destination_service_name: 'shipping',
    destination_service_namespace: 'shop',
    destination_canonical_service: 'shipping',
    destination_canonical_revision: 'v2',
    request_protocol: 'http',
    response_code: '200',
    response_flags: '-',
    connection_security_policy: 'unknown',
    source_cluster: 'local',
    destination_cluster: 'local',
    source_cluster_id: 'local',
    destination_cluster_id: 'local',
    grpc_response_status: '',
  });
  // Labels are exported in Istio's order.
  const line = requestsLine(request());
  const names = [...line.matchAll(/([a-z_]+)="/g)].map((m) => m[1]);
  assert.deepEqual(names, [...ISTIO_LABEL_NAMES]);
  assert.equal(p.types.get('istio_requests_total'), 'counter');
  assert.equal(p.types.get('istio_request_duration_milliseconds'), 'histogram');
  assert.equal(p.types.get('istio_request_bytes'), 'histogram');
  assert.equal(p.types.get('istio_response_bytes'), 'histogram');
});

function requestsLine(r: RequestRecord): string {
  const registry = new Registry();
  new IstioMetrics(registry).record(r);
  const line = registry.render().split('\n').find((l) => l.startsWith('istio_requests_total{'));
  assert.ok(line !== undefined);
  return line;
}

test('source unknown: a request from outside the mesh', () => {
  const labels = onlySeries(
    recordAndParse(request({ reporter: 'destination', source: null, connectionSecurityPolicy: 'none' })),
  );
  for (const k of ISTIO_LABEL_NAMES.filter((n) => n.startsWith('source_'))) {
    assert.equal(labels[k], 'unknown', k);
  }
  assert.equal(labels['reporter'], 'destination');
  assert.equal(labels['destination_workload'], 'shipping-v2');
  assert.equal(labels['destination_canonical_revision'], 'v2');
  assert.equal(labels['connection_security_policy'], 'none');
});

test('destination without a sidecar: destination peer unknown, service still known', () => {
  const labels = onlySeries(
    recordAndParse(
      request({
        destination: null,
        destinationService: { host: 'legacy.shop.svc.cluster.local', name: '', namespace: '' },
        responseCode: 503,
        responseFlags: 'UF,URX',
      }),
    ),
  );
  for (const k of [
    'destination_workload',
    'destination_workload_namespace',
    'destination_principal',
    'destination_app',
    'destination_version',
    'destination_canonical_service',
    'destination_canonical_revision',
  ]) {
    assert.equal(labels[k], 'unknown', k);
  }
  assert.equal(labels['destination_service'], 'legacy.shop.svc.cluster.local');
  assert.equal(labels['destination_service_name'], 'legacy'); // from the cluster-local host
  assert.equal(labels['destination_service_namespace'], 'shop');
  assert.equal(labels['source_workload'], 'frontend-v1');
  assert.equal(labels['response_code'], '503');
  assert.equal(labels['response_flags'], 'UF,URX');
});

test('app and version missing: canonical service falls back to workload, revision to latest', () => {
  const bare: PeerMetadata = { ...shipping, app: '', version: '', principal: '' };
  const labels = onlySeries(recordAndParse(request({ source: { ...frontend, app: '', version: '' }, destination: bare })));
  assert.equal(labels['source_app'], 'unknown');
  assert.equal(labels['source_version'], 'unknown');
  assert.equal(labels['source_canonical_service'], 'frontend-v1');
  assert.equal(labels['source_canonical_revision'], 'latest');
  assert.equal(labels['destination_app'], 'unknown');
  assert.equal(labels['destination_version'], 'unknown');
  assert.equal(labels['destination_principal'], 'unknown');
  assert.equal(labels['destination_canonical_service'], 'shipping-v2');
  assert.equal(labels['destination_canonical_revision'], 'latest');
});

test('unknown service, external host, downstream disconnect and empty flags', () => {
  let v = resolveIstioLabels(request({ destinationService: null, responseCode: 0, responseFlags: '' }));
  assert.equal(v[13], 'unknown');
  assert.equal(v[14], 'unknown');
  assert.equal(v[15], 'unknown');
  assert.equal(v[19], '0');
  assert.equal(v[20], '-');
  v = resolveIstioLabels(request({ destinationService: { host: 'api.example.com', name: '', namespace: '' } }));
  assert.deepEqual(v.slice(13, 16), ['api.example.com', 'unknown', 'unknown']);
  v = resolveIstioLabels(request({ requestProtocol: 'grpc', responseCode: 1000 }));
  assert.equal(v[18], 'grpc');
  assert.equal(v[19], '1000');
  const custom = resolveIstioLabels(
    request({ destinationService: { host: 'a.b.svc.corp.internal', name: '', namespace: '' } }),
    'corp.internal',
  );
  assert.deepEqual(custom.slice(14, 16), ['a', 'b']);
});

test('records counts, durations and sizes into one cached series bundle', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  m.record(request({ durationMs: 0.3, requestBytes: 0, responseBytes: 5 }));
  m.record(request({ durationMs: 12, requestBytes: 100, responseBytes: 2_000_000_000 }));
  m.record(request({ durationMs: 4_000_000, requestBytes: 150, responseBytes: 50 }));
  m.record(request({ responseCode: 500 }));
  assert.equal(m.cachedSeries, 2);
  const p = parseExposition(registry.render());
  const ok = { response_code: '200' };
  assert.equal(sampleValue(p, 'istio_requests_total', ok), 3);
  assert.equal(sampleValue(p, 'istio_requests_total', { response_code: '500' }), 1);
  const dur = (le: string) => sampleValue(p, 'istio_request_duration_milliseconds_bucket', { ...ok, le });
  assert.equal(dur('0.5'), 1);
  assert.equal(dur('25'), 2);
  assert.equal(dur('3600000'), 2);
  assert.equal(dur('+Inf'), 3);
  assert.equal(sampleValue(p, 'istio_request_duration_milliseconds_sum', ok), 0.3 + 12 + 4_000_000);
  assert.equal(sampleValue(p, 'istio_request_duration_milliseconds_count', ok), 3);
  assert.equal(sampleValue(p, 'istio_request_bytes_bucket', { ...ok, le: '1' }), 1);
  assert.equal(sampleValue(p, 'istio_request_bytes_bucket', { ...ok, le: '100' }), 2);
  assert.equal(sampleValue(p, 'istio_request_bytes_bucket', { ...ok, le: '1000' }), 3);
  assert.equal(sampleValue(p, 'istio_response_bytes_bucket', { ...ok, le: '1000000000' }), 2);
  assert.equal(sampleValue(p, 'istio_response_bytes_bucket', { ...ok, le: '+Inf' }), 3);
  assert.equal(findSamples(p, 'istio_response_bytes_bucket', ok).length, 11);
  assert.equal(findSamples(p, 'istio_request_duration_milliseconds_bucket', ok).length, 20);
});

test('expired series drop their bundle and are recreated from zero', () => {
  let now = 0;
  const registry = new Registry({ now: () => now });
  const m = new IstioMetrics(registry);
  m.record(request());
  assert.equal(registry.expireOlderThan(60_000), 0); // the sweep stamps the update at 0
  now = 10 * 60_000;
  assert.equal(registry.expireOlderThan(60_000), 4);
  assert.equal(m.cachedSeries, 0);
  assert.equal(findSamples(parseExposition(registry.render()), 'istio_requests_total').length, 0);
  m.record(request());
  assert.equal(sampleValue(parseExposition(registry.render()), 'istio_requests_total'), 1);
  assert.equal(m.cachedSeries, 1);
});

test('a second IstioMetrics on the same registry shares the series', () => {
  const registry = new Registry();
  new IstioMetrics(registry).record(request());
  new IstioMetrics(registry).record(request());
  assert.equal(sampleValue(parseExposition(registry.render()), 'istio_requests_total'), 2);
});

test('peer values with the key separator or quotes are recorded safely', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  const odd: PeerMetadata = { ...frontend, workload: 'we"ird\u0001name' };
  const odd2: PeerMetadata = { ...frontend, workload: 'we"ird', app: 'name\u0001' };
  m.record(request({ source: odd }));
  m.record(request({ source: odd }));
  m.record(request({ source: odd2, responseFlags: 'X\u0001' }));
  const p = parseExposition(registry.render());
  assert.equal(sampleValue(p, 'istio_requests_total', { source_workload: 'we"ird\ufffdname' }), 2);
  assert.equal(sampleValue(p, 'istio_requests_total', { source_app: 'name\ufffd', response_flags: 'X\ufffd' }), 1);
  assert.equal(findSamples(p, 'istio_requests_total').length, 2);
});

test('a reused peer object is resolved once, and re-resolved when mutated', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  const mutable: PeerMetadata = { ...frontend };
  const frozen = Object.freeze({ ...shipping });
  m.record(request({ source: mutable, destination: frozen }));
  mutable.version = 'v9';
  m.record(request({ source: mutable, destination: frozen }));
  // An equal but distinct object lands in the same series.
  m.record(request({ source: { ...mutable }, destination: Object.freeze({ ...shipping }) }));
  const p = parseExposition(registry.render());
  assert.equal(sampleValue(p, 'istio_requests_total', { source_version: 'v1' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { source_version: 'v9' }), 2);
  assert.equal(m.cachedSeries, 2);
});

test('metadata that differs only in non-label fields shares one series', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  m.record(request({ source: { ...frontend, serviceAccount: 'x' } }));
  m.record(request({ source: { ...frontend, serviceAccount: 'y' } }));
  m.record(request({ source: null }));
  m.record(request({ source: { ...frontend, workload: '', namespace: '', app: '', version: 'unknown', principal: '', cluster: '' } }));
  const p = parseExposition(registry.render());
  assert.equal(sampleValue(p, 'istio_requests_total', { source_workload: 'frontend-v1' }), 2);
  // An all-empty peer with version "unknown" has exactly the labels of a missing peer.
  assert.equal(sampleValue(p, 'istio_requests_total', { source_workload: 'unknown' }), 2);
  assert.equal(m.cachedSeries, 2);
});

test('the peer cluster is the source_cluster / destination_cluster label; a missing one is unknown', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  m.record(request({ source: { ...frontend, cluster: 'east' } }));
  m.record(request({ source: { ...frontend, cluster: 'west' } }));
  m.record(request({ source: { ...frontend, cluster: 'west' } }));
  m.record(request({ source: { ...frontend, cluster: '' }, destination: null }));
  const p = parseExposition(registry.render());
  assert.equal(sampleValue(p, 'istio_requests_total', { source_cluster: 'east', destination_cluster: 'local' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { source_cluster_id: 'east', destination_cluster_id: 'local' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { source_cluster: 'west', destination_cluster: 'local' }), 2);
  assert.equal(sampleValue(p, 'istio_requests_total', { source_cluster: 'unknown', destination_cluster: 'unknown' }), 1);
});

test('canonical service/revision: the peer\'s canonical fields win over app/version', () => {
  const p = recordAndParse(request({ destination: { ...shipping, canonicalService: 'ship', canonicalRevision: 'r2' } }));
  const l = onlySeries(p);
  assert.deepEqual([l['destination_canonical_service'], l['destination_canonical_revision'], l['destination_app'], l['destination_version']], ['ship', 'r2', 'shipping', 'v2']);
  assert.deepEqual([l['source_canonical_service'], l['source_canonical_revision']], ['frontend', 'v1']);
});

test('grpc_response_status: the stream\'s status, one series per status, empty for HTTP', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  const grpc = (status: string, sent = 1, received = 1): RequestRecord =>
    request({ requestProtocol: 'grpc', grpcMessages: { request: sent, response: received, status } });
  m.record(grpc('0'));
  m.record(grpc('0', 3, 2));
  m.record(grpc('5'));
  m.record(grpc('99')); // outside 0..16: still right, just not cached
  m.record(request());
  const p = parseExposition(registry.render());
  assert.equal(sampleValue(p, 'istio_requests_total', { request_protocol: 'grpc', grpc_response_status: '0' }), 2);
  assert.equal(sampleValue(p, 'istio_requests_total', { request_protocol: 'grpc', grpc_response_status: '5' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { request_protocol: 'grpc', grpc_response_status: '99' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { request_protocol: 'http', grpc_response_status: '' }), 1);
  assert.equal(sampleValue(p, 'istio_request_messages_total', { grpc_response_status: '0' }), 4);
  assert.equal(sampleValue(p, 'istio_response_messages_total', { grpc_response_status: '0' }), 3);
});

test('many distinct peers: caches start over but counts stay right', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  const peers = Array.from({ length: 12_000 }, (_, i) => Object.freeze({ ...frontend, workload: `w${i % 11_000}` }));
  for (const p of peers) m.record(request({ source: p }));
  assert.ok(m.cachedSeries < 11_000); // reset happened at least once
  const p = parseExposition(registry.render());
  assert.equal(findSamples(p, 'istio_requests_total').length, 11_000);
  assert.equal(sampleValue(p, 'istio_requests_total', { source_workload: 'w5' }), 2);
  assert.equal(sampleValue(p, 'istio_requests_total', { source_workload: 'w10999' }), 1);
  let total = 0;
  for (const s of findSamples(p, 'istio_requests_total')) total += s.value;
  assert.equal(total, 12_000);
});

test('unusual codes, flags and untyped enum values still land in the right series', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  m.record(request({ responseFlags: '' }));
  m.record(request({ responseFlags: '-' }));
  for (let i = 0; i < 30; i++) m.record(request({ responseCode: 1000 + i }));
  m.record(request({ responseCode: 1029 })); // past the interned slots: recorded uncached
  m.record(request({ responseCode: -1 }));
  m.record(request({ responseCode: 2.5 }));
  for (let i = 0; i < 300; i++) m.record(request({ responseFlags: `F${i}` })); // forces a cache reset
  m.record(request({ responseFlags: 'F0' }));
  const untyped = { connectionSecurityPolicy: 'spiffe' } as unknown as Partial<RequestRecord>;
  m.record(request(untyped));
  m.record(request(untyped));
  const p = parseExposition(registry.render());
  const plain = { response_code: '200', response_flags: '-', connection_security_policy: 'unknown' };
  assert.equal(sampleValue(p, 'istio_requests_total', plain), 2);
  assert.equal(sampleValue(p, 'istio_requests_total', { response_code: '1029' }), 2);
  assert.equal(sampleValue(p, 'istio_requests_total', { response_code: '1000' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { response_code: '-1' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { response_code: '2.5' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { response_flags: 'F0' }), 2);
  assert.equal(sampleValue(p, 'istio_requests_total', { response_flags: 'F299' }), 1);
  assert.equal(sampleValue(p, 'istio_requests_total', { connection_security_policy: 'spiffe' }), 2);
  let total = 0;
  for (const s of findSamples(p, 'istio_requests_total')) total += s.value;
  assert.equal(total, 2 + 31 + 2 + 301 + 2);
});
