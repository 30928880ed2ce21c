// Deciding when an endpoint change has reached every proxy, from /debug/syncz bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edsSettled, parseEdsVersions, waitEdsSettled } from './eds-sync.js';
import type { EdsVersions } from './eds-sync.js';

const proxy = (id: string, sentVersion: string | null, status: string): unknown => ({
  id,
  types: { eds: { sentVersion, ackedVersion: status === 'SYNCED' ? sentVersion : 'old', status } },
});

test('parseEdsVersions reads id, sent version and status; skips junk', () => {
  const v = parseEdsVersions([proxy('a', 'v1', 'SYNCED'), proxy('b', 'v2', 'STALE'), proxy('c', null, 'NOT_SENT'), 42, { types: {} }]);
  assert.deepEqual([...v], [
    ['a', { sent: 'v1', synced: true }],
    ['b', { sent: 'v2', synced: false }],
    ['c', { sent: null, synced: true }],
  ]);
  assert.equal(parseEdsVersions({ not: 'an array' }).size, 0);
});

test('settled only after a version moved and every proxy ACKed', () => {
  const before = parseEdsVersions([proxy('a', 'v1', 'SYNCED'), proxy('b', 'v1', 'SYNCED')]);
  assert.equal(edsSettled(before, before), false, 'nothing pushed yet');
  assert.equal(edsSettled(before, parseEdsVersions([proxy('a', 'v2', 'STALE'), proxy('b', 'v1', 'SYNCED')])), false, 'sent, not ACKed');
  assert.equal(edsSettled(before, parseEdsVersions([proxy('a', 'v2', 'SYNCED'), proxy('b', 'v2', 'NACK')])), false, 'a NACK is not synced');
  assert.equal(edsSettled(before, parseEdsVersions([proxy('a', 'v2', 'SYNCED'), proxy('b', 'v2', 'SYNCED')])), true);
  assert.equal(edsSettled(before, parseEdsVersions([proxy('a', 'v1', 'SYNCED'), proxy('b', 'v1', 'SYNCED'), proxy('c', 'v9', 'SYNCED')])), true, 'a new proxy counts');
});

test('waitEdsSettled polls until settled, and gives up after its timeout', async () => {
  const before: EdsVersions = parseEdsVersions([proxy('a', 'v1', 'SYNCED')]);
  const seq = [proxy('a', 'v1', 'SYNCED'), proxy('a', 'v2', 'STALE'), proxy('a', 'v2', 'SYNCED')];
  let i = 0;
  const ok = await waitEdsSettled(async () => parseEdsVersions([seq[Math.min(i++, seq.length - 1)]]), before, 2_000, 5);
  assert.equal(ok, true);
  assert.equal(i, 3);
  const t = Date.now();
  assert.equal(await waitEdsSettled(async () => before, before, 50, 5), false);
  assert.ok(Date.now() - t >= 45);
});
