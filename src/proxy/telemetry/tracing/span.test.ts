import { test } from 'node:test';
import assert from 'node:assert/strict';
import { otlpJson, zipkinJson, type FinishedSpan } from './span.js';
import { decideSampled } from './tracer.js';

const span = (over: Partial<FinishedSpan> = {}): FinishedSpan => ({
  traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), parentSpanId: 'c'.repeat(16), name: 'reviews:9080/*', kind: 'SERVER',
  startUs: 1_700_000_000_123_456, durationUs: 1500, tags: { component: 'proxy', 'http.status_code': '200' }, serviceName: 'reviews.default', error: false,
  ...over,
});

test('zipkin v2 JSON: ids, parent, kind, microsecond timestamps, localEndpoint, error tag', () => {
  const [a, b] = JSON.parse(zipkinJson([span(), span({ parentSpanId: undefined, kind: 'CLIENT', error: true, durationUs: 0 })])) as Record<string, unknown>[];
  assert.deepEqual(a, {
    traceId: 'a'.repeat(32), id: 'b'.repeat(16), parentId: 'c'.repeat(16), name: 'reviews:9080/*', kind: 'SERVER',
    timestamp: 1_700_000_000_123_456, duration: 1500, localEndpoint: { serviceName: 'reviews.default' }, tags: { component: 'proxy', 'http.status_code': '200' },
  });
  assert.equal(b!.parentId, undefined);
  assert.equal(b!.kind, 'CLIENT');
  assert.equal(b!.duration, 1, 'Zipkin wants a positive duration');
  assert.deepEqual(b!.tags, { component: 'proxy', 'http.status_code': '200', error: 'true' });
});

test('OTLP JSON: resourceSpans per service, hex ids, nanosecond strings, numeric kinds, ERROR status', () => {
  const body = JSON.parse(otlpJson([span(), span({ serviceName: 'gw.istio-system', kind: 'CLIENT', error: true })])) as {
    resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
  };
  assert.equal(body.resourceSpans.length, 2);
  const [r0, r1] = body.resourceSpans;
  assert.deepEqual(r0!.resource.attributes, [{ key: 'service.name', value: { stringValue: 'reviews.default' } }]);
  const s = r0!.scopeSpans[0]!.spans[0]!;
  assert.equal(s.traceId, 'a'.repeat(32));
  assert.equal(s.parentSpanId, 'c'.repeat(16));
  assert.equal(s.kind, 2);
  assert.equal(s.startTimeUnixNano, '1700000000123456000');
  assert.equal(s.endTimeUnixNano, '1700000000124956000');
  assert.deepEqual(s.attributes, [{ key: 'component', value: { stringValue: 'proxy' } }, { key: 'http.status_code', value: { stringValue: '200' } }]);
  assert.deepEqual(s.status, {});
  const c = r1!.scopeSpans[0]!.spans[0]!;
  assert.equal(c.kind, 3);
  assert.deepEqual(c.status, { code: 2 });
});

test('sampling: an upstream decision wins both ways; otherwise the percentage', () => {
  assert.equal(decideSampled(true, 0, 0.5), true);
  assert.equal(decideSampled(false, 100, 0), false);
  assert.equal(decideSampled(undefined, 100, 0.9999), true);
  assert.equal(decideSampled(undefined, 0, 0), false);
  assert.equal(decideSampled(undefined, 1, 0.009), true);
  assert.equal(decideSampled(undefined, 1, 0.011), false);
  let n = 0;
  for (let i = 0; i < 1000; i++) if (decideSampled(undefined, 25, i / 1000)) n++;
  assert.equal(n, 250);
});
