/**
 * Property: a parser fed a message in pieces (any split points, accumulated the way a
 * connection would) gives exactly the result it gives for the whole message.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead } from './request-parser.js';
import { parseResponseHead } from './response-parser.js';
import { ChunkedDecoder } from './chunked.js';
import { head, prng, randomCuts, splitAt } from './test-helpers.js';

type HeadParser = (buf: Buffer, start: number) => { headBytes: number } | null;

const requests: Buffer[] = [
  head('GET / HTTP/1.1', 'Host: h'),
  head('GET /a/b?c=d&e=%20 HTTP/1.1', 'Host: example.com:8080', 'User-Agent: curl/8.0', 'Accept: */*', 'X-Weird:  \t spaced \t value\t '),
  Buffer.concat([Buffer.from('\r\n\r\n'), head('POST /upload HTTP/1.1', 'Host: h', 'Content-Length: 11', 'Connection: keep-alive, X-Hop')]),
  head('PUT /c HTTP/1.1', 'HOST: h', 'Transfer-Encoding: Chunked', 'Expect: 100-continue', 'X-Bin: caf\xe9 \xff'),
  head('GET /chat HTTP/1.1', 'Host: h', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='),
  head('CONNECT h:443 HTTP/1.1', 'Host: h:443'),
  head('OPTIONS * HTTP/1.0'),
  head('GET http://h/x HTTP/1.1', 'Host: h', ...Array.from({ length: 60 }, (_, i) => `X-Header-${i}: ${'v'.repeat(i)}`)),
];

const responses: Buffer[] = [
  head('HTTP/1.1 200 OK', 'Content-Length: 0'),
  head('HTTP/1.1 404 Not Found', 'Content-Type: text/html; charset=utf-8', 'Transfer-Encoding: chunked', 'Set-Cookie: a=b', 'Set-Cookie: c=d'),
  head('HTTP/1.0 204', 'Connection: keep-alive'),
  head('HTTP/1.1 101 Switching Protocols', 'Connection: upgrade', 'Upgrade: websocket'),
];

function checkSplits(parse: HeadParser, msg: Buffer, seed: number): void {
  const whole = parse(msg, 0);
  assert.ok(whole !== null);
  // Prefixes: null until the head is complete, then the same head (body bytes change nothing).
  const withBody = Buffer.concat([msg, Buffer.from('BODY BYTES\r\n\r\n')]);
  for (let k = 0; k <= withBody.length; k++) {
    const r = parse(Buffer.from(withBody.subarray(0, k)), 0);
    if (k < whole.headBytes) assert.equal(r, null, `prefix ${k}`);
    else assert.deepEqual(r, whole, `prefix ${k}`);
  }
  // Random multi-splits accumulated piece by piece.
  const rand = prng(seed);
  for (let t = 0; t < 200; t++) {
    let acc = Buffer.alloc(0);
    let result: unknown = null;
    for (const part of splitAt(msg, randomCuts(rand, msg.length, 2 + Math.floor(rand() * 10)))) {
      assert.equal(result, null, 'result before the last piece');
      acc = Buffer.concat([acc, part]);
      result = parse(acc, 0);
    }
    assert.deepEqual(result, whole);
  }
  // The same message after other bytes, parsed from an offset.
  const shifted = Buffer.concat([Buffer.from('previous message tail'), msg]);
  assert.deepEqual(parse(shifted, 21), whole);
}

describe('head parsers are split-invariant', () => {
  requests.forEach((m, i) => it(`request ${i}`, () => checkSplits(parseRequestHead, m, 100 + i)));
  responses.forEach((m, i) => it(`response ${i}`, () => checkSplits(parseResponseHead, m, 200 + i)));
});

/** A minimal connection loop: head, then a Content-Length or chunked body, then the next. */
interface Message {
  method: string;
  target: string;
  body: string;
  trailers: string[];
}

function readPipeline(parts: readonly Buffer[]): Message[] {
  const out: Message[] = [];
  let buf = Buffer.alloc(0);
  let current: Message | null = null;
  let remaining = 0;
  let decoder: ChunkedDecoder | null = null;
  const body: Buffer[] = [];

  const finish = () => {
    current!.body = Buffer.concat(body).toString('latin1');
    body.length = 0;
    out.push(current!);
    current = null;
    decoder = null;
  };

  for (const part of parts) {
    buf = Buffer.concat([buf, part]);
    for (;;) {
      if (current === null) {
        const h = parseRequestHead(buf, 0);
        if (h === null) break;
        current = { method: h.method, target: h.target, body: '', trailers: [] };
        buf = buf.subarray(h.headBytes);
        if (h.chunked) decoder = new ChunkedDecoder();
        else remaining = Math.max(h.contentLength, 0);
        if (decoder === null && remaining === 0) finish();
        continue;
      }
      if (decoder !== null) {
        const d: ChunkedDecoder = decoder;
        const n = d.decode(buf, (s) => body.push(Buffer.from(s)));
        buf = buf.subarray(n);
        if (!d.done) break;
        current.trailers = d.trailers;
        finish();
        continue;
      }
      const take = Math.min(remaining, buf.length);
      body.push(Buffer.from(buf.subarray(0, take)));
      buf = buf.subarray(take);
      remaining -= take;
      if (remaining > 0) break;
      finish();
    }
  }
  assert.equal(buf.length, 0, 'bytes left over');
  assert.equal(current, null, 'message left incomplete');
  return out;
}

describe('pipelined messages with bodies are split-invariant', () => {
  const pipeline = Buffer.concat([
    head('POST /a HTTP/1.1', 'Host: h', 'Content-Length: 11'),
    Buffer.from('hello world'),
    head('POST /b HTTP/1.1', 'Host: h', 'Transfer-Encoding: chunked'),
    Buffer.from('5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nChecksum: 1\r\n\r\n'),
    Buffer.from('\r\n'),
    head('GET /c HTTP/1.1', 'Host: h'),
    head('POST /d HTTP/1.1', 'Host: h', 'Transfer-Encoding: chunked'),
    Buffer.from('0\r\n\r\n'),
  ]);
  const expected: Message[] = [
    { method: 'POST', target: '/a', body: 'hello world', trailers: [] },
    { method: 'POST', target: '/b', body: 'hello world', trailers: ['checksum', '1'] },
    { method: 'GET', target: '/c', body: '', trailers: [] },
    { method: 'POST', target: '/d', body: '', trailers: [] },
  ];

  it('whole', () => assert.deepEqual(readPipeline([pipeline]), expected));

  it('split at every boundary', () => {
    for (let k = 1; k < pipeline.length; k++) assert.deepEqual(readPipeline(splitAt(pipeline, [k])), expected, `at ${k}`);
  });

  it('byte by byte and random multi-splits', () => {
    assert.deepEqual(readPipeline(splitAt(pipeline, Array.from({ length: pipeline.length - 1 }, (_, i) => i + 1))), expected);
    const rand = prng(42);
    for (let t = 0; t < 300; t++) {
      const cuts = randomCuts(rand, pipeline.length, 2 + Math.floor(rand() * 20));
      assert.deepEqual(readPipeline(splitAt(pipeline, cuts)), expected, `cuts ${cuts.join(',')}`);
    }
  });
});
