/**
 * Bounded, deterministic fuzzing: random and mutated inputs must only ever produce a head,
 * null (incomplete), or a CodecError with a status allowed for that parser. Accepted heads
 * must satisfy the invariants the proxy relies on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, type RequestHead } from './request-parser.js';
import { parseResponseHead, type ResponseHead } from './response-parser.js';
import { ChunkedDecoder } from './chunked.js';
import { CodecError } from './errors.js';
import type { HeadLimits } from './limits.js';
import { isValidHeaderValue } from './headers.js';
import { TARGET, isToken } from './chars.js';
import { serializeRequestHead } from './serialize.js';
import { head, prng, randInt } from './test-helpers.js';

const ITERATIONS = 20_000;
const SMALL: HeadLimits = { maxHeaderBytes: 300, maxHeaders: 6 };

const SEEDS: Buffer[] = [
  head('GET / HTTP/1.1', 'Host: h'),
  head('POST /p?q=1 HTTP/1.1', 'Host: a.b:80', 'Content-Length: 5', 'Connection: keep-alive'),
  head('PUT /x HTTP/1.1', 'Host: h', 'Transfer-Encoding: chunked', 'Expect: 100-continue'),
  head('GET /ws HTTP/1.1', 'Host: h', 'Connection: Upgrade', 'Upgrade: websocket'),
  head('CONNECT h:443 HTTP/1.1', 'Host: h:443'),
  head('OPTIONS * HTTP/1.0'),
  head('HTTP/1.1 200 OK', 'Content-Length: 2', 'Set-Cookie: a=b'),
  head('HTTP/1.1 204', 'Transfer-Encoding: chunked'),
  head('HTTP/1.0 301 Moved', 'Location: http://x/', 'Connection: keep-alive'),
  Buffer.from('5\r\nhello\r\n0\r\n\r\n'),
  Buffer.from('a;x="y z"\r\n0123456789\r\n0;e\r\nT: v\r\nU:w\r\n\r\nGET'),
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
];

const BYTES = [13, 10, 32, 9, 58, 44, 59, 34, 92, 61, 48, 49, 102, 97, 65, 0, 127, 128, 255, 47, 42, 64, 72, 46, 45, 35, 63];
const SNIPPETS = [
  '\r\n', '\r\n\r\n', '\n', '\r', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 5\r\n',
  'Content-Length: 5, 6\r\n', 'Host: x\r\n', 'Connection: close\r\n', ' chunked', 'HTTP/1.1', 'HTTP/2.0',
  ', chunked', '0\r\n\r\n', 'ffffffffffffffffff', ';a="\\"', ' \t ', 'X-A: \x01\r\n', ': v\r\n',
];

function mutate(rand: () => number, input: Buffer): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + randInt(rand, 4);
  for (let r = 0; r < rounds; r++) {
    const pos = b.length === 0 ? 0 : randInt(rand, b.length + 1);
    switch (randInt(rand, 7)) {
      case 0: // overwrite a byte with an interesting one
        if (pos < b.length) b[pos] = BYTES[randInt(rand, BYTES.length)]!;
        break;
      case 1: // overwrite with a random byte
        if (pos < b.length) b[pos] = randInt(rand, 256);
        break;
      case 2: // insert an interesting byte
        b = Buffer.concat([b.subarray(0, pos), Buffer.from([BYTES[randInt(rand, BYTES.length)]!]), b.subarray(pos)]);
        break;
      case 3: // delete a run
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1 + randInt(rand, 4))]);
        break;
      case 4: // insert a snippet
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(SNIPPETS[randInt(rand, SNIPPETS.length)]!, 'latin1'), b.subarray(pos)]);
        break;
      case 5: // duplicate a slice
        b = Buffer.concat([b.subarray(0, pos), b.subarray(randInt(rand, pos + 1), pos), b.subarray(pos)]);
        break;
      default: // truncate
        b = b.subarray(0, pos);
    }
  }
  return b;
}

function randomInput(rand: () => number): Buffer {
  const len = randInt(rand, 120);
  const b = Buffer.alloc(len);
  const alphabet = rand() < 0.5;
  for (let i = 0; i < len; i++) b[i] = alphabet ? BYTES[randInt(rand, BYTES.length)]! : randInt(rand, 256);
  return b;
}

/** Runs fn; returns its result, or undefined if it threw a CodecError with an allowed status. */
function guarded<T>(what: string, input: Buffer, allowed: readonly number[], fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof CodecError)) {
      assert.fail(`${what} threw ${String(err)} for ${JSON.stringify(input.toString('latin1'))}`);
    }
    assert.ok(allowed.includes(err.status), `${what}: status ${err.status} (${err.code})`);
    return undefined;
  }
}

function checkFields(flat: readonly string[]): void {
  assert.equal(flat.length % 2, 0);
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    assert.ok(isToken(name) && name === name.toLowerCase(), `name ${JSON.stringify(name)}`);
    assert.ok(isValidHeaderValue(flat[i + 1]!), `value ${JSON.stringify(flat[i + 1])}`);
  }
}

function checkFraming(h: { contentLength: number; chunked: boolean; headBytes: number }, input: Buffer, start: number): void {
  assert.ok(h.headBytes >= 4 && start + h.headBytes <= input.length);
  assert.equal(input.toString('latin1', start + h.headBytes - 4, start + h.headBytes), '\r\n\r\n');
  assert.ok(Number.isSafeInteger(h.contentLength) && h.contentLength >= -1);
  assert.ok(!(h.chunked && h.contentLength !== -1), 'chunked with a Content-Length');
}

function checkRequest(h: RequestHead, input: Buffer, rand: () => number): void {
  checkFraming(h, input, 0);
  checkFields(h.headers);
  assert.ok(isToken(h.method));
  assert.ok(h.target.length > 0 && [...h.target].every((ch) => TARGET[ch.charCodeAt(0)] === 1), h.target);
  assert.ok(h.versionMinor === 1 ? h.host !== undefined : true);
  // Any strict prefix of an accepted head is "incomplete", never an error.
  const k = randInt(rand, h.headBytes);
  assert.equal(parseRequestHead(input.subarray(0, k), 0), null, `prefix ${k}`);
  // Re-serializing and re-parsing gives the same request.
  const again = parseRequestHead(serializeRequestHead(h.method, h.target, h.headers, h.versionMinor), 0);
  assert.equal(again?.method, h.method);
  assert.equal(again?.target, h.target);
  assert.deepEqual(again?.headers, h.headers);
}

function checkResponse(h: ResponseHead, input: Buffer, rand: () => number): void {
  checkFraming(h, input, 0);
  checkFields(h.headers);
  assert.ok(h.status >= 100 && h.status <= 599);
  const k = randInt(rand, h.headBytes);
  assert.equal(parseResponseHead(input.subarray(0, k), 0), null, `prefix ${k}`);
}

function runChunked(input: Buffer, cut: number): void {
  const dec = new ChunkedDecoder({ trailerLimits: SMALL });
  let consumed = 0;
  let data = 0;
  const finished = guarded('ChunkedDecoder', input, [400], () => {
    for (const part of [input.subarray(0, cut), input.subarray(cut)]) {
      if (dec.done) break;
      consumed += dec.decode(part, (s) => {
        assert.ok(s.length > 0);
        data += s.length;
      });
    }
    return true;
  });
  if (!finished) return;
  assert.ok(consumed <= input.length && data <= consumed);
  if (dec.done) checkFields(dec.trailers);
  else assert.equal(consumed, input.length);
}

describe('fuzz', () => {
  it(`${ITERATIONS} random and mutated inputs only yield heads, null or CodecError`, () => {
    const rand = prng(0x5eed);
    let accepted = 0;
    for (let n = 0; n < ITERATIONS; n++) {
      const input = rand() < 0.85 ? mutate(rand, SEEDS[randInt(rand, SEEDS.length)]!) : randomInput(rand);
      const limits = rand() < 0.3 ? SMALL : undefined;

      const req = guarded('parseRequestHead', input, [400, 431, 501, 505], () => parseRequestHead(input, 0, limits));
      if (req) {
        accepted++;
        checkRequest(req, input, rand);
      }
      const res = guarded('parseResponseHead', input, [502], () => parseResponseHead(input, 0, limits));
      if (res) {
        accepted++;
        checkResponse(res, input, rand);
      }
      runChunked(input, randInt(rand, input.length + 1));
    }
    // The corpus must exercise the accepting paths too, not only rejections.
    assert.ok(accepted > ITERATIONS / 20, `only ${accepted} inputs were accepted`);
  });
});
