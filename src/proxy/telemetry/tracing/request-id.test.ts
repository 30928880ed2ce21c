import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampledByRequestId } from './request-id.js';

test('sampledByRequestId: the last 8 hex digits of the UUID modulo 10000 against percent × 100; either case; non-hex cannot decide', () => {
  const id = (tail: string): string => `6f0e3a52-1c1e-4f59-9a7b-0000${tail}`;
  assert.equal(sampledByRequestId(id('00000063'), 1), true); // 99 < 100
  assert.equal(sampledByRequestId(id('00000064'), 1), false); // 100
  assert.equal(sampledByRequestId(id('0000270F'), 100), true); // 9999, upper case
  assert.equal(sampledByRequestId(id('0000270f'), 99.99), false); // 9999 < 9999 is false
  assert.equal(sampledByRequestId(id('ffffffff'), 100), true); // 4294967295 % 10000 = 7295
  assert.equal(sampledByRequestId(id('fffffffg'), 100), undefined);
  assert.equal(sampledByRequestId(id('0000-063'), 100), undefined);
  assert.equal(sampledByRequestId('short', 100), undefined);
});
