import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renewDelayMs } from './renewal.js';

test('renewal is due at half the life, earlier by at most 5% of the life', () => {
  const nb = new Date(0);
  const na = new Date(24 * 3600_000);
  assert.equal(renewDelayMs(nb, na, 0, () => 0), 12 * 3600_000);
  assert.equal(renewDelayMs(nb, na, 0, () => 1), 12 * 3600_000 - 0.05 * 24 * 3600_000);
  assert.equal(renewDelayMs(nb, na, 3600_000, () => 0), 11 * 3600_000, 'counted from now');
  assert.equal(renewDelayMs(nb, na, 20 * 3600_000, () => 0), 0, 'overdue: now');
  assert.equal(renewDelayMs(na, nb, 0), 0, 'no life: now');
});
