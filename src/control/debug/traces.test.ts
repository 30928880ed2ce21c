import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOtlpJson, TraceStore, type StoredSpan } from './traces.js';
import { otlpJson } from '../../proxy/telemetry/tracing/span.js';

const span = (trace: string, id: string, startUs: number, parent?: string): StoredSpan => ({
  traceId: trace.repeat(32), spanId: id.repeat(16), ...(parent ? { parentSpanId: parent.repeat(16) } : {}), name: `n${id}`, kind: 'SERVER',
  service: 's', startTimeUnixNano: `${startUs * 1000}`, endTimeUnixNano: `${startUs * 1000 + 5}`, attributes: {}, error: false,
});

test('OTLP JSON the proxy sends parses back into spans (ids, parent, kind, service, attributes, status)', () => {
  const body = otlpJson([
    { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), parentSpanId: 'c'.repeat(16), name: 'x/*', kind: 'CLIENT', startUs: 10, durationUs: 2, tags: { k: 'v' }, serviceName: 'gw.ns', error: true },
  ]);
  assert.deepEqual(parseOtlpJson(body), [{
    traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), parentSpanId: 'c'.repeat(16), name: 'x/*', kind: 'CLIENT', service: 'gw.ns',
    startTimeUnixNano: '10000', endTimeUnixNano: '12000', attributes: { k: 'v' }, error: true,
  }]);
  assert.throws(() => parseOtlpJson('{"spans": []}'), /resourceSpans/);
  assert.throws(() => parseOtlpJson('not json'));
  // spans with malformed ids are skipped
  assert.deepEqual(parseOtlpJson('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"1"}]}]}]}'), []);
});

test('store: keeps the last N traces, newest first, spans sorted by start, root named', () => {
  const st = new TraceStore(2);
  st.add([span('1', 'b', 20, 'a'), span('1', 'a', 10)]);
  st.add([span('2', 'c', 30)]);
  st.add([span('1', 'd', 40, 'b')]); // an old trace seen again keeps its place
  assert.deepEqual(st.get('1'.repeat(32))?.map((s) => s.spanId[0]), ['a', 'b', 'd']);
  assert.deepEqual(st.summaries().map((t) => [t.traceId[0], t.spans, t.root]), [['2', 1, 'nc'], ['1', 3, 'na']]);
  st.add([span('3', 'e', 50)]);
  assert.equal(st.get('1'.repeat(32)), undefined, 'the oldest trace went');
  assert.deepEqual(st.summaries().map((t) => t.traceId[0]), ['3', '2']);
});
