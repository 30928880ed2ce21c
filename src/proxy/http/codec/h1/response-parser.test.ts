import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseResponseHead, responseHasBody } from './response-parser.js';
import { DEFAULT_LIMITS } from './limits.js';
import { head, throwsCodec } from './test-helpers.js';
import type { CodecErrorCode } from './errors.js';

const parse = (b: Buffer, start = 0) => parseResponseHead(b, start);
const ok = (...lines: string[]) => {
  const r = parse(head(...lines));
  assert.ok(r !== null);
  return r;
};
const bad = (code: CodecErrorCode, ...lines: string[]) => throwsCodec(() => parse(head(...lines)), 502, code);
const badRaw = (code: CodecErrorCode, raw: string) => throwsCodec(() => parse(Buffer.from(raw, 'latin1')), 502, code);

describe('response head: accepted', () => {
  it('parses a 200 with every field of the result', () => {
    const b = head('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 12');
    assert.deepEqual(parse(b), {
      versionMinor: 1,
      status: 200,
      reason: 'OK',
      headers: ['content-type', 'text/plain', 'content-length', '12'],
      contentLength: 12,
      chunked: false,
      keepAlive: true,
      connectionTokens: [],
      headBytes: b.length,
    });
  });

  it('keeps the reason phrase as sent, including spaces and obs-text', () => {
    assert.equal(ok('HTTP/1.1 404 Not  Found ').reason, 'Not  Found ');
    assert.equal(ok('HTTP/1.1 200 \xc7a va').reason, '\xc7a va');
  });

  it('accepts an empty reason with or without the SP', () => {
    assert.equal(ok('HTTP/1.1 204').reason, '');
    assert.equal(ok('HTTP/1.1 204 ').reason, '');
  });

  it('persistence per version and Connection', () => {
    assert.equal(ok('HTTP/1.0 200 OK').keepAlive, false);
    assert.equal(ok('HTTP/1.0 200 OK', 'Connection: keep-alive').keepAlive, true);
    assert.equal(ok('HTTP/1.1 200 OK').keepAlive, true);
    const r = ok('HTTP/1.1 200 OK', 'Connection: close, X-Hop');
    assert.equal(r.keepAlive, false);
    assert.deepEqual(r.connectionTokens, ['close', 'x-hop']);
  });

  it('chunked responses', () => {
    const r = ok('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked');
    assert.equal(r.chunked, true);
    assert.equal(r.contentLength, -1);
  });

  it('interim and upgrade responses need no framing headers', () => {
    assert.equal(ok('HTTP/1.1 100 Continue').status, 100);
    assert.equal(ok('HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: websocket').status, 101);
    assert.equal(ok('HTTP/1.1 599 x').status, 599);
  });

  it('returns null until complete, and parses from an offset', () => {
    const b = head('HTTP/1.1 200 OK', 'Content-Length: 0');
    for (let k = 0; k < b.length; k++) assert.equal(parse(b.subarray(0, k)), null);
    const withPrefix = Buffer.concat([Buffer.from('xyz'), b, Buffer.from('HTTP/1.1')]);
    assert.equal(parse(withPrefix, 3)?.headBytes, b.length);
  });
});

describe('response head: rejected with 502', () => {
  it('framing conflicts and unsupported codings are 502, not 400/501', () => {
    bad('cl_te_conflict', 'HTTP/1.1 200 OK', 'Content-Length: 1', 'Transfer-Encoding: chunked');
    bad('duplicate_content_length', 'HTTP/1.1 200 OK', 'Content-Length: 1', 'Content-Length: 2');
    bad('invalid_content_length', 'HTTP/1.1 200 OK', 'Content-Length: -1');
    bad('unsupported_transfer_encoding', 'HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked');
    bad('te_in_http10', 'HTTP/1.0 200 OK', 'Transfer-Encoding: chunked');
  });

  it('line endings and field syntax', () => {
    badRaw('bare_lf', 'HTTP/1.1 200 OK\nA: b\r\n\r\n');
    badRaw('bare_lf', 'HTTP/1.1 200 OK\r\nA: b\n\n');
    badRaw('bare_lf', 'HTTP/1.1 200 O\rK\r\n\r\n');
    badRaw('bare_lf', 'HTTP/1.1 200 OK\n');
    bad('invalid_header_name', 'HTTP/1.1 200 OK', 'A : b');
    bad('obs_fold', 'HTTP/1.1 200 OK', 'A: b', ' c');
    bad('invalid_header_value', 'HTTP/1.1 200 OK', 'A: \x00');
  });

  it('does not skip leading empty lines', () => {
    badRaw('invalid_status_line', '\r\nHTTP/1.1 200 OK\r\n\r\n');
  });

  const malformed = [
    'HTTP/1.1  200 OK',
    'HTTP/1.1 20 OK',
    'HTTP/1.1 2000 OK',
    'HTTP/1.1 20x OK',
    'HTTP/1.1\t200 OK',
    'http/1.1 200 OK',
    'HTTP/1.1',
    'HTTP/1 200 OK',
    'ICY 200 OK',
    'HTTP/1.1 200 O\x01K',
    'HTTP/1.1 200 O\x7fK',
  ];
  for (const line of malformed) {
    it(`rejects ${JSON.stringify(line)}`, () => bad('invalid_status_line', line));
  }

  it('rejects status codes outside 100-599', () => {
    bad('invalid_status', 'HTTP/1.1 099 x');
    bad('invalid_status', 'HTTP/1.1 000 x');
    bad('invalid_status', 'HTTP/1.1 600 x');
  });

  it('rejects versions other than 1.0 and 1.1', () => {
    bad('invalid_version', 'HTTP/2.0 200 OK');
    bad('invalid_version', 'HTTP/1.2 200 OK');
  });

  it('limits are 502 too', () => {
    const lines = ['HTTP/1.1 200 OK'];
    for (let i = 0; i <= DEFAULT_LIMITS.maxHeaders; i++) lines.push(`x-${i}: v`);
    bad('too_many_headers', ...lines);
    bad('headers_too_large', 'HTTP/1.1 200 OK', 'X: ' + 'a'.repeat(DEFAULT_LIMITS.maxHeaderBytes));
    badRaw('headers_too_large', 'HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(DEFAULT_LIMITS.maxHeaderBytes));
  });
});

describe('responseHasBody', () => {
  it('HEAD, 1xx, 204 and 304 have no body', () => {
    assert.equal(responseHasBody('HEAD', 200), false);
    assert.equal(responseHasBody('HEAD', 404), false);
    assert.equal(responseHasBody('GET', 100), false);
    assert.equal(responseHasBody('GET', 101), false);
    assert.equal(responseHasBody('GET', 204), false);
    assert.equal(responseHasBody('GET', 304), false);
  });
  it('a 2xx to CONNECT starts a tunnel, other CONNECT answers have a body', () => {
    assert.equal(responseHasBody('CONNECT', 200), false);
    assert.equal(responseHasBody('CONNECT', 407), true);
  });
  it('everything else has a body', () => {
    for (const s of [200, 201, 206, 301, 400, 404, 500, 503]) assert.equal(responseHasBody('GET', s), true);
    assert.equal(responseHasBody('POST', 200), true);
  });
});
