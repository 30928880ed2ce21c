import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import { MAX_BUFFERED_SPANS, SpanExporter } from './exporter.js';
import type { FinishedSpan } from './span.js';

const span = (i: number): FinishedSpan => ({
  traceId: 'a'.repeat(32), spanId: i.toString(16).padStart(16, '0'), name: 'x/*', kind: 'CLIENT', startUs: 1e15, durationUs: 10, tags: {}, serviceName: 's.ns', error: false,
});
const clustersWith = (address: string, port: number): ClusterManager =>
  ({ get: (n: string) => (n === 'collector' ? { pick: () => ({ address, port }) } : undefined) }) as unknown as ClusterManager;

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('exporter: batches spans into POSTs (Zipkin and OTLP bodies) to a host of the provider cluster', async () => {
  const got: { path: string; host: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '', host: req.headers.host ?? '', body });
      res.writeHead(202).end();
    });
  });
  server.listen(0, '127.0.57.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  try {
    const z = new SpanExporter({ format: 'zipkin', cluster: 'collector', path: '/api/v2/spans', authority: 'zipkin:9411' }, clustersWith('127.0.57.1', port));
    for (let i = 1; i <= 3; i++) z.add(span(i));
    await waitFor(() => z.stats.exported === 3, 'three zipkin spans');
    assert.equal(got.length, 1, 'one batch');
    assert.equal(got[0]!.path, '/api/v2/spans');
    assert.equal(got[0]!.host, 'zipkin:9411');
    assert.deepEqual((JSON.parse(got[0]!.body) as { id: string }[]).map((s) => s.id), [span(1).spanId, span(2).spanId, span(3).spanId]);

    const o = new SpanExporter({ format: 'otlp', cluster: 'collector', path: '/v1/traces' }, clustersWith('127.0.57.1', port));
    o.add(span(9));
    await waitFor(() => o.stats.exported === 1, 'one OTLP span');
    assert.equal(got[1]!.path, '/v1/traces');
    assert.equal(got[1]!.host, `127.0.57.1:${port}`);
    assert.ok((JSON.parse(got[1]!.body) as { resourceSpans: unknown[] }).resourceSpans.length === 1);
  } finally {
    server.close();
  }
});

test('exporter: bounded buffer drops and counts; an unknown cluster or a dead collector counts dropped spans', async () => {
  const none = new SpanExporter({ format: 'otlp', cluster: 'missing', path: '/v1/traces' }, clustersWith('127.0.57.1', 1));
  for (let i = 0; i < MAX_BUFFERED_SPANS + 5; i++) none.add(span(i));
  assert.equal(none.stats.dropped, 5, 'overflow dropped synchronously, the request path never waits');
  await waitFor(() => none.stats.dropped === MAX_BUFFERED_SPANS + 5, 'all spans dropped (no host)');
  assert.equal(none.stats.exported, 0);

  // a port nothing listens on: connection refused
  const dead = http.createServer();
  dead.listen(0, '127.0.57.1');
  await once(dead, 'listening');
  const port = (dead.address() as { port: number }).port;
  await new Promise((r) => dead.close(r));
  const e = new SpanExporter({ format: 'zipkin', cluster: 'collector', path: '/api/v2/spans' }, clustersWith('127.0.57.1', port));
  e.add(span(1));
  await waitFor(() => e.stats.failedPosts === 1, 'the failed POST');
  assert.deepEqual(e.stats, { exported: 0, dropped: 1, failedPosts: 1 });
});
