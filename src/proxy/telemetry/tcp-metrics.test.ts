import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../telemetry/prom.js';
import { findSamples, parseExposition } from '../../telemetry/exposition-parser.js';
import { TcpMetrics, type TcpConnectionLabels } from './tcp-metrics.js';
import { decodeStatsFilter, TCP_METRICS, tcpReporterOverridesOf } from './metric-overrides.js';
import { STATS_CONFIG_TYPE_URL, TYPED_STRUCT_TYPE_URL } from '../../xds/telemetry-filters.js';

const conn = (reporter: 'source' | 'destination'): TcpConnectionLabels => ({
  reporter,
  source: null,
  destination: null,
  destinationService: { host: 'redis.default.svc.cluster.local', name: '', namespace: '' },
  responseFlags: '-',
  connectionSecurityPolicy: 'unknown',
});

test('TCP metrics: standard labels without response_code and grpc_response_status; request_protocol tcp', () => {
  const r = new Registry();
  const t = new TcpMetrics(r);
  const s = t.series(conn('source'));
  s.opened.inc();
  s.sent.inc(7);
  const m = parseExposition(r.render());
  const opened = findSamples(m, 'istio_tcp_connections_opened_total');
  assert.equal(opened.length, 1);
  assert.equal(opened[0]!.labels.request_protocol, 'tcp');
  assert.ok(!('response_code' in opened[0]!.labels) && !('grpc_response_status' in opened[0]!.labels));
  assert.equal(findSamples(m, 'istio_tcp_sent_bytes_total', { destination_service_name: 'redis' })[0]?.value, 7);
});

test('TCP metrics overrides: a dropped family and a removed / added tag apply to the configured reporter only', () => {
  const r = new Registry();
  const t = new TcpMetrics(r);
  const source = decodeStatsFilter(
    { '@type': TYPED_STRUCT_TYPE_URL, type_url: STATS_CONFIG_TYPE_URL, value: { metrics: [
      { name: 'tcp_sent_bytes_total', drop: true },
      { name: 'tcp_connections_opened_total', tags_to_remove: ['destination_service'], dimensions: { tier: "'gold'" } },
    ] } },
    'f',
    TCP_METRICS,
  );
  t.setOverrides(tcpReporterOverridesOf([
    { direction: 'OUTBOUND', tcpProxy: {}, tcpStats: source },
    { direction: 'INBOUND', tcpProxy: {} },
  ]));
  const src = t.series(conn('source'));
  src.opened.inc();
  src.sent.inc(100);
  src.received.inc(5);
  const dst = t.series(conn('destination'));
  dst.opened.inc();
  dst.sent.inc(9);
  const m = parseExposition(r.render());
  const opened = findSamples(m, 'istio_tcp_connections_opened_total', { reporter: 'source' });
  assert.equal(opened.length, 1);
  assert.equal(opened[0]!.labels.tier, 'gold');
  assert.ok(!opened[0]!.labels.destination_service, 'removed for the source reporter (rendered empty)');
  const dOpened = findSamples(m, 'istio_tcp_connections_opened_total', { reporter: 'destination' });
  assert.equal(dOpened[0]!.labels.destination_service, 'redis.default.svc.cluster.local', 'destination reporter keeps it');
  assert.deepEqual(findSamples(m, 'istio_tcp_sent_bytes_total').map((x) => [x.labels.reporter, x.value]), [['destination', 9]], 'source side dropped');
  assert.equal(findSamples(m, 'istio_tcp_received_bytes_total', { reporter: 'source' })[0]?.value, 5);
  // Back to no overrides: standard label names again.
  t.setOverrides({});
  t.series(conn('source')).opened.inc();
  const again = findSamples(parseExposition(r.render()), 'istio_tcp_connections_opened_total');
  assert.ok(again.length === 1 && !('tier' in again[0]!.labels));
});
