import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer, type MergedChange } from './debounce.js';

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a burst of events fires once after the quiet period, with all kinds merged', async () => {
  const fired: MergedChange[] = [];
  const d = new Debouncer({ quietMs: 60, maxMs: 5000 }, (c) => fired.push(c));
  d.push({ kinds: new Set(['VirtualService']), at: 1 });
  await wait(20);
  d.push({ kinds: new Set(['DestinationRule']), at: 2 });
  await wait(20);
  assert.equal(fired.length, 0, 'still inside the quiet period');
  await wait(100);
  assert.equal(fired.length, 1);
  assert.deepEqual([...fired[0]!.kinds].sort(), ['DestinationRule', 'VirtualService']);
  assert.equal(fired[0]!.events, 2);
  assert.equal(fired[0]!.firstAt, 1);
  d.stop();
});

test('a never-quiet stream of events still fires at the max delay', async () => {
  const fired: number[] = [];
  const d = new Debouncer({ quietMs: 50, maxMs: 200 }, () => fired.push(Date.now()));
  const start = Date.now();
  const t = setInterval(() => d.push({ kinds: new Set(['Gateway']), at: performance.now() }), 20);
  await wait(330);
  clearInterval(t);
  d.stop();
  assert.ok(fired.length >= 1, 'fired despite no quiet period');
  assert.ok(fired[0]! - start >= 190 && fired[0]! - start < 320, `fired after ${fired[0]! - start} ms`);
});

test('the reported debounce time is measured from the first event', () => {
  let reported = -1;
  let now = 1000;
  const d = new Debouncer({ quietMs: 10, maxMs: 100, now: () => now }, (_c, ms) => (reported = ms));
  d.push({ kinds: new Set(['Workload']), at: 900 });
  now = 1040;
  d.flush();
  assert.equal(reported, 140);
});
