// Random trace and span ids, hex, from a pooled buffer: one crypto.randomFillSync per 4 KiB of
// ids instead of one crypto.randomBytes call per id. Every request gets a span id (sampled or
// not), so this is on the hot path: a randomBytes call costs 3–5 µs on a small VM, a slice of the
// pool ~0.1 µs. The bytes are the same CSPRNG output either way. An all-zero id is invalid in
// W3C Trace Context and is drawn again.
import crypto from 'node:crypto';

const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

function take(bytes: number): string {
  if (offset + bytes > POOL.length) {
    crypto.randomFillSync(POOL);
    offset = 0;
  }
  const hex = POOL.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

/** 32 lowercase hex digits, never all zero. */
export function newTraceId(): string {
  let id = take(16);
  while (id === ZERO32) id = take(16);
  return id;
}

/** 16 lowercase hex digits, never all zero. */
export function newSpanId(): string {
  let id = take(8);
  while (id === ZERO16) id = take(8);
  return id;
}
