/** Shared helpers for this directory's tests (not used by production code). */

import assert from 'node:assert/strict';
import { CodecError, type CodecErrorCode, type CodecStatus } from './errors.js';

/** Joins lines with CRLF and terminates the head with an empty line. */
export function head(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** Asserts that fn throws a CodecError with this status and code. */
export function throwsCodec(fn: () => unknown, status: CodecStatus, code: CodecErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CodecError, `expected CodecError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    return true;
  });
}

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random integer in [0, n). */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/** Sorted distinct cut points in (0, len) splitting a buffer into up to `pieces` parts. */
export function randomCuts(rand: () => number, len: number, pieces: number): number[] {
  const cuts = new Set<number>();
  for (let i = 1; i < pieces && len > 1; i++) cuts.add(1 + randInt(rand, len - 1));
  return [...cuts].sort((x, y) => x - y);
}

/** Splits buf at the cut points into fresh copies (so nothing relies on shared memory). */
export function splitAt(buf: Buffer, cuts: readonly number[]): Buffer[] {
  const parts: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    parts.push(Buffer.from(buf.subarray(prev, c)));
    prev = c;
  }
  parts.push(Buffer.from(buf.subarray(prev)));
  return parts;
}
