import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';

test('backoff-doubles-up-to-the-cap-without-jitter', () => {
  const b = new Backoff({ initialMs: 200, maxMs: 5000, jitter: 0 });
  assert.deepEqual(
    Array.from({ length: 8 }, () => b.next()),
    [200, 400, 800, 1600, 3200, 5000, 5000, 5000],
  );
  b.reset();
  assert.equal(b.next(), 200);
});

test('backoff-jitter-stays-within-twenty-percent-and-never-exceeds-the-cap', () => {
  const low = new Backoff({ initialMs: 1000, maxMs: 1000, random: () => 0 });
  const high = new Backoff({ initialMs: 1000, maxMs: 1000, random: () => 0.999999 });
  assert.equal(low.next(), 800);
  assert.equal(high.next(), 1000);
  const mid = new Backoff({ initialMs: 1000, maxMs: 8000, random: () => 1 });
  assert.equal(mid.next(), 1200);
  for (let i = 0; i < 200; i++) {
    const d = new Backoff({ initialMs: 100, maxMs: 400 }).next();
    assert.ok(d >= 80 && d <= 120, `delay ${d}`);
  }
});
