import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PushQueue, mergePush, type PushRequest } from './push-queue.js';

const req = (generation: number, eventAt: number): PushRequest => ({ generation, eventAt, enqueuedAt: eventAt, full: true });

test('merging keeps the earliest event and the newest generation', () => {
  assert.deepEqual(mergePush(req(1, 10), req(2, 20)), { generation: 2, eventAt: 10, enqueuedAt: 10, full: true });
});

test('one pending push per proxy: enqueueing twice while waiting runs once with the merged request', async () => {
  const runs: [string, PushRequest][] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const q = new PushQueue<string>(1, async (key, r) => {
    runs.push([key, r]);
    if (key === 'blocker') await gate;
  });
  q.enqueue('blocker', req(1, 1));
  q.enqueue('a', req(1, 5));
  q.enqueue('a', req(2, 3));
  assert.equal(q.size, 1);
  release();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(runs.map(([k]) => k), ['blocker', 'a']);
  assert.equal(runs[1]![1].generation, 2);
  assert.equal(runs[1]![1].eventAt, 3);
});

test('a push requested while the same proxy is being pushed runs again afterwards', async () => {
  const runs: number[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const q = new PushQueue<string>(4, async (_k, r) => {
    runs.push(r.generation);
    if (r.generation === 1) await gate;
  });
  q.enqueue('p', req(1, 1));
  q.enqueue('p', req(2, 2));
  q.enqueue('p', req(3, 3));
  release();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(runs, [1, 3]);
});

test('concurrency is bounded', async () => {
  let running = 0;
  let peak = 0;
  const q = new PushQueue<number>(3, async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
  });
  for (let i = 0; i < 20; i++) q.enqueue(i, req(1, 1));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(peak, 3);
});
