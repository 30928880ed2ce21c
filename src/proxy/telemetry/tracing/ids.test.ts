import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSpanId, newTraceId } from './ids.js';

test('ids: lowercase hex of the right length, never all zero, distinct across pool refills', () => {
  const seen = new Set<string>();
  // 4 KiB pool / 24 bytes per pair: several refills.
  for (let i = 0; i < 1000; i++) {
    const t = newTraceId();
    const s = newSpanId();
    assert.match(t, /^[0-9a-f]{32}$/);
    assert.match(s, /^[0-9a-f]{16}$/);
    assert.ok(!/^0+$/.test(t) && !/^0+$/.test(s));
    seen.add(t);
    seen.add(s);
  }
  assert.equal(seen.size, 2000);
});
