import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationMs, formatDuration, parseDuration } from './duration.js';

test('parses Istio durations to milliseconds', () => {
  const cases: [string, number][] = [
    ['1.5s', 1500],
    ['100ms', 100],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['500us', 0.5],
    ['500µs', 0.5],
    ['250000ns', 0.25],
    ['0s', 0],
    ['.5s', 500],
    ['1h30m', 5_400_000],
    ['1m0.5s', 60_500],
    ['0.1s', 100],
  ];
  for (const [text, ms] of cases) assert.equal(durationMs(text), ms, text);
});

test('rejects bad durations with a message that says what was expected', () => {
  const cases: [string, string][] = [
    ['', 'expected a duration like "1.5s", "100ms" or "2m", got an empty string'],
    ['5', 'missing unit in "5": expected one of h, m, s, ms, us, ns (e.g. "5s")'],
    ['5sec', 'unknown unit "sec" in "5sec"'],
    ['1d', 'use hours: "24h"'],
    ['-1s', 'expected a non-negative duration, got "-1s"'],
    ['abc', 'got "abc"'],
    ['1s garbage', 'got "1s garbage"'],
    ['400000000000s', 'at most 315576000000s'],
  ];
  for (const [text, message] of cases) {
    const r = parseDuration(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) assert.ok(r.error.includes(message), `${text}: ${r.error}`);
  }
  assert.throws(() => durationMs('x'), /expected a duration/);
});

test('formats milliseconds back in the shortest form', () => {
  assert.equal(formatDuration(1500), '1.5s');
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(0.5), '500us');
  assert.equal(formatDuration(0), '0s');
  assert.equal(durationMs(formatDuration(123.456)), 123.456);
});
