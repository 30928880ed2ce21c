import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestHead } from '../../http/codec/h1/request-parser.js';
import type { ClusterManager, ClusterRuntime } from '../../upstream/cluster-manager.js';
import type { PeerMetadata } from '../../../xds/node-metadata.js';
import { HttpTracer } from './tracer.js';
import { SpanExporter } from './exporter.js';
import type { FinishedSpan } from './span.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';

const head = (headers: string[], target = '/p?x=1'): RequestHead => ({
  method: 'POST', target, versionMinor: 1, headers, host: 'reviews:9080', contentLength: 3, chunked: false, keepAlive: true,
  upgrade: undefined, expectContinue: false, connectionTokens: [], headBytes: 0,
});

/** A tracer whose exporter records spans instead of posting them. */
function tracer(inbound: boolean, percent = 100, useRequestIdForSampling?: false): { t: HttpTracer; got: FinishedSpan[] } {
  const got: FinishedSpan[] = [];
  const ex = new SpanExporter({ format: 'otlp', cluster: 'c', path: '/v1/traces' }, {} as ClusterManager);
  ex.add = (s: FinishedSpan) => void got.push(s);
  return { t: new HttpTracer({ samplingPercent: percent, provider: ex.provider, ...(useRequestIdForSampling === false ? { useRequestIdForSampling } : {}) }, ex, { id: 'sidecar~1.2.3.4~r-0.default~default.svc.cluster.local', serviceName: 'reviews.default' }, inbound), got };
}
const cluster = { config: { name: 'inbound|9080||' } } as unknown as ClusterRuntime;
const peer: PeerMetadata = { workload: 'productpage', namespace: 'default', app: 'productpage', version: 'v1', serviceAccount: 'bookinfo', principal: 'spiffe://cluster.local/ns/default/sa/bookinfo', cluster: 'K' };

test('server span: child of the caller, Istio tags, caller identity over mTLS, request id kept', () => {
  const { t, got } = tracer(true);
  const tap = t.begin(head(['traceparent', `00-${T}-${P}-01`, 'x-request-id', 'rid-1']), { socket: {} });
  assert.equal(tap.requestId, 'rid-1');
  assert.equal(tap.span.traceId, T);
  assert.equal(tap.span.parentSpanId, P);
  assert.match(tap.headerLines(), new RegExp(`^traceparent: 00-${T}-${tap.span.spanId}-01\r\n`));
  tap.end(cluster, '-', 201, 3, 10, peer, { policy: 'mutual_tls', peerPrincipal: 'cluster.local/ns/default/sa/bookinfo' } as never);
  assert.equal(got.length, 1);
  const s = got[0]!;
  assert.deepEqual([s.kind, s.traceId, s.spanId, s.parentSpanId, s.name, s.serviceName, s.error], ['SERVER', T, tap.span.spanId, P, 'reviews:9080/*', 'reviews.default', false]);
  assert.deepEqual(s.tags, {
    component: 'proxy', node_id: 'sidecar~1.2.3.4~r-0.default~default.svc.cluster.local', 'guid:x-request-id': 'rid-1',
    'http.url': 'http://reviews:9080/p?x=1', 'http.method': 'POST', 'http.protocol': 'HTTP/1.1', 'http.status_code': '201',
    upstream_cluster: 'inbound|9080||', response_flags: '-', request_size: '3', response_size: '10',
    'source.principal': 'spiffe://cluster.local/ns/default/sa/bookinfo', 'source.workload': 'productpage.default',
  });
  assert.ok(s.durationUs >= 0 && s.startUs > 1.6e15);
});

test('client span: a new root without trace headers, a fresh request id, h2, failure flagged as error', () => {
  const { t, got } = tracer(false);
  const tap = t.begin(head([], 'http://ratings/x'), { socket: { session: {} } });
  assert.match(tap.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(tap.span.parentSpanId, undefined);
  tap.end(null, 'UF', 503, 0, 91, null, undefined);
  const s = got[0]!;
  assert.equal(s.kind, 'CLIENT');
  assert.equal(s.parentSpanId, undefined);
  assert.equal(s.tags['http.url'], 'http://ratings/x');
  assert.equal(s.tags['http.protocol'], 'HTTP/2');
  assert.equal(s.tags.upstream_cluster, '-');
  assert.equal(s.tags.response_flags, 'UF');
  assert.equal(s.error, true);
});

test('sampling: caller decisions both ways; unsampled requests export nothing but still propagate', () => {
  const zero = tracer(false, 0);
  const forced = zero.t.begin(head(['x-b3-traceid', T, 'x-b3-spanid', P, 'x-b3-sampled', '1']), { socket: {} });
  forced.end(null, '-', 200, 0, 0, null, undefined);
  const dropped = zero.t.begin(head([]), { socket: {} });
  dropped.end(null, '-', 200, 0, 0, null, undefined);
  assert.deepEqual(zero.got.map((s) => s.traceId), [T]);
  assert.match(dropped.headerLines(), /-00\r\n/);

  const all = tracer(true, 100);
  const no = all.t.begin(head(['b3', `${T}-${P}-0`]), { socket: {} });
  no.end(null, '-', 200, 0, 0, null, undefined);
  assert.equal(all.got.length, 0);
  assert.match(no.headerLines(), new RegExp(`^traceparent: 00-${T}-[0-9a-f]{16}-00\r\n`));
});

test('sampling without a caller decision follows x-request-id (all hops agree); off: random; a caller decision wins', () => {
  // last 8 hex digits: 0x00000063 = 99 → 99 % 10000 < 1% (100): sampled; 0x00002710 = 10000 → 0: sampled at any >0%;
  // 0x0000270f = 9999 → not sampled below 99.99%.
  const low = '6f0e3a52-1c1e-4f59-9a7b-000000000063';
  const high = '6f0e3a52-1c1e-4f59-9a7b-00000000270f';
  const { t } = tracer(false, 1);
  for (let i = 0; i < 20; i++) {
    assert.equal(t.begin(head(['x-request-id', low]), { socket: {} }).span.sampled, true);
    assert.equal(t.begin(head(['x-request-id', high]), { socket: {} }).span.sampled, false);
  }
  assert.equal(t.begin(head(['x-request-id', high, 'traceparent', `00-${T}-${P}-01`]), { socket: {} }).span.sampled, true, 'caller decision wins');
  assert.equal(tracer(false, 0).t.begin(head(['x-request-id', low]), { socket: {} }).span.sampled, false, '0% samples nothing');
  // Off: 0% / 100% are still absolute; a 50% tracer gives both outcomes for one request id over many requests.
  const off = tracer(false, 50, false).t;
  const seen = new Set<boolean>();
  for (let i = 0; i < 200 && seen.size < 2; i++) seen.add(off.begin(head(['x-request-id', low]), { socket: {} }).span.sampled);
  assert.deepEqual([...seen].sort(), [false, true]);
  // A short (non-UUID) request id cannot decide: random.
  const short = tracer(false, 50).t;
  const seen2 = new Set<boolean>();
  for (let i = 0; i < 200 && seen2.size < 2; i++) seen2.add(short.begin(head(['x-request-id', 'abc']), { socket: {} }).span.sampled);
  assert.equal(seen2.size, 2);
});
