// The drain state machine with fake connections: idle connections close at once and at every
// sweep, busy ones hold the drain until they finish, listeners stop accepting after the grace
// period, outbound connections never hold the drain, and the timeout bounds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Drainer } from './drain.js';

class FakeConn {
  closed = false;
  constructor(public busy: boolean) {}
  closeIfIdle(): boolean {
    if (this.busy) return false;
    this.closed = true;
    return true;
  }
}

function setup(graceMs: number, timeoutMs: number): { d: Drainer; stops: number[]; t0: number } {
  const stops: number[] = [];
  const t0 = Date.now();
  const d = new Drainer({ graceMs, timeoutMs, sweepMs: 10, stopAccepting: () => stops.push(Date.now() - t0) });
  return { d, stops, t0 };
}

test('idle keep-alive connections are closed when the drain starts', async () => {
  const { d } = setup(20, 1_000);
  const idle = new FakeConn(false);
  d.track(idle, true);
  assert.equal(d.draining, false);
  const done = d.drain();
  assert.equal(d.draining, true);
  assert.equal(idle.closed, true);
  await done;
  assert.deepEqual(d.status(), { draining: true, accepting: false, inbound: 0, outbound: 0, done: true });
});

test('a busy connection holds the drain until its response ends, then is closed at the next sweep', async () => {
  const { d, stops, t0 } = setup(20, 5_000);
  const busy = new FakeConn(true);
  const untrack = d.track(busy, true);
  let finished = 0;
  const done = d.drain().then(() => (finished = Date.now() - t0));
  await delay(80);
  assert.equal(finished, 0, 'still draining while a request is in flight');
  assert.equal(stops.length, 1, 'stopped accepting after the grace period');
  assert.ok((stops[0] ?? 0) >= 15, `grace respected (${stops[0]} ms)`);
  assert.equal(d.status().inbound, 1);
  busy.busy = false; // the response went out (with Connection: close)
  await done;
  assert.equal(busy.closed, true);
  assert.ok(finished >= 80);
  untrack(); // the socket's close event arrives later: harmless
});

test('a connection that closes by itself ends the drain', async () => {
  const { d } = setup(10, 5_000);
  const busy = new FakeConn(true);
  const untrack = d.track(busy, true);
  const done = d.drain();
  await delay(30);
  untrack();
  await done;
  assert.equal(d.status().done, true);
});

test('listeners keep accepting during the grace period even with no connections', async () => {
  const { d, stops } = setup(60, 5_000);
  const t = Date.now();
  await d.drain();
  assert.ok(Date.now() - t >= 55, 'no earlier than the grace period');
  assert.equal(stops.length, 1);
});

test('outbound connections do not hold the drain', async () => {
  const { d } = setup(10, 5_000);
  const out = new FakeConn(true);
  d.track(out, false);
  await d.drain();
  assert.deepEqual(d.status(), { draining: true, accepting: false, inbound: 0, outbound: 1, done: true });
});

test('the timeout ends a drain that a stuck connection would hold forever', async () => {
  const { d, stops } = setup(10, 100);
  d.track(new FakeConn(true), true);
  const t = Date.now();
  await d.drain();
  const took = Date.now() - t;
  assert.ok(took >= 95 && took < 1_000, `took ${took} ms`);
  assert.equal(stops.length, 1, 'stopAccepting called exactly once');
  assert.equal(d.status().inbound, 1);
});

test('drain() is idempotent: every caller waits for the same end', async () => {
  const { d, stops } = setup(10, 1_000);
  const a = d.drain();
  const b = d.drain();
  await Promise.all([a, b]);
  await d.drain(); // after the end: resolves at once
  assert.equal(stops.length, 1);
});

test('a timeout shorter than the grace period still stops accepting once', async () => {
  const { d, stops } = setup(500, 30);
  await d.drain();
  assert.equal(stops.length, 1);
  d.dispose();
});
