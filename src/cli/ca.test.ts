import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationSeconds } from './ca.js';
import { UsageError } from './context.js';

test('--overlap durations', () => {
  assert.equal(parseDurationSeconds('1h'), 3600);
  assert.equal(parseDurationSeconds('90s'), 90);
  assert.equal(parseDurationSeconds('2h30m'), 9000);
  assert.equal(parseDurationSeconds('45'), 45);
  for (const bad of ['', 'h', '1d', '1h x', '-5s']) assert.throws(() => parseDurationSeconds(bad), UsageError, bad);
});
