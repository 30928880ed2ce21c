import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanCell, formatTable, listCell } from './table.js';

describe('formatTable', () => {
  it('aligns columns with three spaces and no trailing whitespace', () => {
    const t = formatTable(['NAME', 'HOSTS', 'X'], [['reviews', 'a,b', ''], ['r', 'reviews.default', 'y']]);
    assert.equal(t, ['NAME      HOSTS             X', 'reviews   a,b', 'r         reviews.default   y'].join('\n'));
  });

  it('counts characters, not UTF-16 units, and blanks control characters', () => {
    const t = formatTable(['A', 'B'], [['𝒳𝒳', 'x'], ['ab', 'y']]);
    assert.equal(t, 'A    B\n𝒳𝒳   x\nab   y');
    assert.equal(cleanCell('evil\u001b[31mred\nline'), 'evil [31mred line');
  });
});

describe('listCell', () => {
  it('shows <none>, a short list, or a truncated list', () => {
    assert.equal(listCell([]), '<none>');
    assert.equal(listCell(['a', 'b']), 'a,b');
    assert.equal(listCell(['a', 'b', 'c', 'd', 'e']), 'a,b,c +2 more');
  });
});
