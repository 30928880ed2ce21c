import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { ResponseParser } from './http1-response.js';
import type { ParsedResponse } from './http1-response.js';
import { runFixedRate } from './loadgen.js';
import { LatencyRecorder, percentile, summarize } from './percentiles.js';

test('percentile uses nearest rank', () => {
  const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 90), 90);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile(xs, 99.9), 100);
  assert.equal(percentile(xs, 100), 100);
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile([7], 50), 7);
  assert.equal(percentile([1, 2], 50), 1);
  assert.equal(percentile([1, 2], 51), 2);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile(xs, 101), RangeError);
});

test('recorder grows past its capacity and summarizes sorted samples', () => {
  const r = new LatencyRecorder(16);
  for (let i = 1000; i >= 1; i--) r.record(i / 10);
  assert.equal(r.count, 1000);
  const s = r.summary();
  assert.equal(s.min, 0.1);
  assert.equal(s.max, 100);
  assert.equal(s.p50, 50);
  assert.equal(s.p99, 99);
  assert.ok(Math.abs(s.mean - 50.05) < 1e-9);
  assert.equal(summarize([]).count, 0);
});

test('response parser finds ends by content-length and chunked, across split chunks', () => {
  const got: ParsedResponse[] = [];
  const p = new ResponseParser((r) => got.push(r));
  const wire = Buffer.from(
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' +
      'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n' +
      'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n',
  );
  for (let i = 0; i < wire.length; i += 3) p.push(wire.subarray(i, i + 3));
  assert.deepEqual(got, [
    { status: 200, bodyBytes: 5, close: false },
    { status: 404, bodyBytes: 5, close: false },
    { status: 204, bodyBytes: 0, close: true },
  ]);
  assert.equal(p.midResponse, false);
});

/** A tiny server that records arrival times and can stall one request. */
async function withServer(
  stallNth: number | undefined,
  stallMs: number,
  fn: (port: number, arrivals: number[]) => Promise<void>,
): Promise<void> {
  const arrivals: number[] = [];
  const body = Buffer.alloc(64, 'x');
  const server = http.createServer((_req, res) => {
    arrivals.push(performance.now());
    const reply = (): void => {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    };
    if (arrivals.length === stallNth) setTimeout(reply, stallMs);
    else reply();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn((server.address() as AddressInfo).port, arrivals);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('paces requests at the fixed rate over all connections', { timeout: 10_000 }, async () => {
  await withServer(undefined, 0, async (port, arrivals) => {
    const r = await runFixedRate({
      host: '127.0.0.1',
      port,
      rate: 200,
      connections: 4,
      warmupMs: 100,
      durationMs: 500,
      expectBodyBytes: 64,
    });
    assert.equal(r.intended, 100);
    assert.equal(r.completed, 100);
    assert.equal(r.errors, 0);
    assert.equal(r.incomplete, 0);
    assert.equal(arrivals.length, 120); // warm-up requests are sent too
    // Spread over the schedule (119 intervals of 5 ms), not sent as fast as possible.
    const span = (arrivals[arrivals.length - 1] as number) - (arrivals[0] as number);
    assert.ok(span > 450 && span < 1500, `span ${span} ms`);
    // No 100 ms window carries much more than its share (20 requests).
    let maxInWindow = 0;
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while ((arrivals[i] as number) - (arrivals[j] as number) > 100) j++;
      maxInWindow = Math.max(maxInWindow, i - j + 1);
    }
    assert.ok(maxInWindow <= 45, `max ${maxInWindow} requests in 100 ms`);
    assert.ok(r.latency.p50 < 50, `p50 ${r.latency.p50} ms`);
  });
});

test('charges queueing behind a stalled response to the waiting requests', { timeout: 10_000 }, async () => {
  // Request 60 (in the recorded window) stalls 400 ms; its connection carries one request every
  // 20 ms, so ~20 more requests queue behind it and must show the wait in their latency.
  await withServer(60, 400, async (port) => {
    const r = await runFixedRate({
      host: '127.0.0.1',
      port,
      rate: 200,
      connections: 4,
      warmupMs: 100,
      durationMs: 500,
    });
    assert.equal(r.completed, 100);
    assert.ok(r.latency.max >= 390, `max ${r.latency.max} ms`);
    assert.ok(r.latency.p90 >= 100, `corrected p90 ${r.latency.p90} ms`);
    // Measured from the actual send only the stalled request is slow: that hides the stall.
    assert.ok(r.serviceLatency.p90 < 100, `service p90 ${r.serviceLatency.p90} ms`);
  });
});
