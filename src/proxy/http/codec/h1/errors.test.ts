import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { CODEC_ERROR_CODES, CodecError } from './errors.js';

/** This directory's TypeScript sources (tests run from dist/, sources live beside it under src/). */
function sources(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const srcDir = here.replace(/([\\/])dist([\\/])src([\\/])/, '$1src$3');
  return readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'errors.ts' && f !== 'test-helpers.ts')
    .map((f) => readFileSync(join(srcDir, f), 'utf8'))
    .join('\n');
}

describe('CodecError', () => {
  it('carries a stable code, a status and a readable message', () => {
    const e = new CodecError('bare_lf', 400, 'at byte 7');
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'CodecError');
    assert.equal(e.code, 'bare_lf');
    assert.equal(e.status, 400);
    assert.match(e.message, /LF.*at byte 7/);
  });

  it('every code in the table is raised somewhere (no stale documentation)', () => {
    const src = sources();
    for (const code of Object.keys(CODEC_ERROR_CODES)) {
      assert.ok(src.includes(`'${code}'`), `code ${code} is documented but never raised`);
    }
  });
});
