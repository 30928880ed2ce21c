import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../telemetry/prom.js';
import { findSamples, parseExposition } from '../../telemetry/exposition-parser.js';
import { IstioMetrics, type RequestRecord } from './istio-metrics.js';
import { decodeStatsFilter, reporterOverridesOf, type StatsConfig } from './metric-overrides.js';
import { AccessLogEntry } from './access-log/entry.js';
import { STATS_CONFIG_TYPE_URL, TYPED_STRUCT_TYPE_URL } from '../../xds/telemetry-filters.js';

const stats = (metrics: unknown[]): StatsConfig =>
  decodeStatsFilter({ '@type': TYPED_STRUCT_TYPE_URL, type_url: STATS_CONFIG_TYPE_URL, value: { metrics } }, 'f');

function record(reporter: 'source' | 'destination'): RequestRecord {
  return {
    reporter,
    source: null,
    destination: null,
    destinationService: { host: 'a.shop.svc.cluster.local', name: '', namespace: '' },
    requestProtocol: 'http',
    responseCode: 200,
    responseFlags: '-',
    connectionSecurityPolicy: 'unknown',
    durationMs: 3,
    requestBytes: 10,
    responseBytes: 20,
  };
}

test('overrides: a dropped metric, a removed tag and a CEL tag; the other reporter keeps its labels', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  m.setOverrides({
    source: stats([
      { name: 'request_bytes', drop: true },
      { name: 'requests_total', tags_to_remove: ['response_flags'], dimensions: { tier: "request.headers['x-tier']" } },
    ]),
    used: { source: true, destination: false },
  });
  assert.equal(m.needsAttributes, true);
  const e = new AccessLogEntry();
  e.requestHeaders = ['x-tier', 'gold'];
  m.record(record('source'), e);
  m.record(record('source'));
  const p = parseExposition(registry.render());
  const gold = findSamples(p, 'istio_requests_total', { tier: 'gold' });
  assert.equal(gold.length, 1);
  assert.ok(!('response_flags' in gold[0]!.labels));
  assert.equal(findSamples(p, 'istio_requests_total', { tier: 'unknown' }).length, 1, 'no attributes: "unknown"');
  assert.equal(findSamples(p, 'istio_request_bytes_count').length, 0);
  assert.equal(findSamples(p, 'istio_response_bytes_count')[0]?.value, 2, 'untouched metrics keep recording');
  assert.ok('response_flags' in findSamples(p, 'istio_response_bytes_count')[0]!.labels);
});

test('overrides: the same config again changes nothing; removing them restores the standard labels', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  const ov = { source: stats([{ name: 'requests_total', tags_to_remove: ['request_protocol'] }]) };
  m.setOverrides(ov);
  m.record(record('source'));
  m.setOverrides({ source: stats([{ name: 'requests_total', tags_to_remove: ['request_protocol'] }]) });
  assert.equal(findSamples(parseExposition(registry.render()), 'istio_requests_total')[0]?.value, 1, 'series kept');
  m.setOverrides({});
  m.record(record('destination'));
  const s = findSamples(parseExposition(registry.render()), 'istio_requests_total');
  assert.equal(s.length, 1);
  assert.equal(s[0]!.labels.request_protocol, 'http');
});

test('per reporter: SERVER-only removal renders an empty value on server series, the label stays for CLIENT', () => {
  const registry = new Registry();
  const m = new IstioMetrics(registry);
  m.setOverrides({ destination: stats([{ name: 'requests_total', tags_to_remove: ['source_app'] }]) });
  m.record(record('destination'));
  m.record(record('source'));
  const p = parseExposition(registry.render());
  assert.equal(findSamples(p, 'istio_requests_total', { reporter: 'destination' })[0]?.labels.source_app, '');
  assert.equal(findSamples(p, 'istio_requests_total', { reporter: 'source' })[0]?.labels.source_app, 'unknown');
});

test('stats filter decoding rejects what the proxy does not implement, naming the field', () => {
  assert.throws(() => stats([{ name: 'tcp_sent_bytes_total', drop: true }]), /value\.metrics\[0\]\.name: expected one of/);
  assert.throws(() => stats([{ name: 'requests_total', dimensions: { t: 'now()' } }]), /dimensions\.t: function now\(\)/);
  assert.throws(() => stats([{ name: 'requests_total', tags_to_remove: ['a-b'] }]), /tags_to_remove\[0\]: expected a Prometheus label name/);
  assert.throws(() => stats([{ name: 'requests_total', extra: 1 }]), /value\.metrics\[0\]\.extra: field not supported/);
  assert.throws(() => decodeStatsFilter({ '@type': TYPED_STRUCT_TYPE_URL, type_url: 'type.other/x', value: {} }, 'f'), /f\.type_url/);
});

test('reporterOverridesOf: OUTBOUND listeners configure the source reporter, INBOUND the destination', () => {
  const s = stats([{ name: 'requests_total', drop: true }]);
  const d = stats([{ name: 'response_bytes', drop: true }]);
  const ov = reporterOverridesOf([
    { direction: 'OUTBOUND', hcm: { stats: s } },
    { direction: 'INBOUND', hcm: { stats: d } },
    { direction: 'INBOUND', hcm: {}, tcpProxy: {} },
  ]);
  assert.equal(ov.source, s);
  assert.equal(ov.destination, d);
  assert.deepEqual(ov.used, { source: true, destination: true });
  assert.deepEqual(reporterOverridesOf([{ direction: 'OUTBOUND', hcm: {} }]), {});
});
