import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead } from './request-parser.js';
import { DEFAULT_LIMITS } from './limits.js';
import { head, throwsCodec } from './test-helpers.js';
import type { CodecErrorCode } from './errors.js';

const parse = (b: Buffer, start = 0) => parseRequestHead(b, start);
const ok = (...lines: string[]) => {
  const r = parse(head(...lines));
  assert.ok(r !== null);
  return r;
};
const bad = (code: CodecErrorCode, status: 400 | 431 | 501 | 505, ...lines: string[]) =>
  throwsCodec(() => parse(head(...lines)), status, code);
const badRaw = (code: CodecErrorCode, status: 400 | 431 | 501 | 505, raw: string) =>
  throwsCodec(() => parse(Buffer.from(raw, 'latin1')), status, code);

describe('request head: accepted', () => {
  it('parses a simple GET with every field of the result', () => {
    const b = head('GET /a?b=c HTTP/1.1', 'Host: example.com', 'User-Agent: t', 'X-Custom-Thing: v');
    assert.deepEqual(parse(b), {
      method: 'GET',
      target: '/a?b=c',
      versionMinor: 1,
      headers: ['host', 'example.com', 'user-agent', 't', 'x-custom-thing', 'v'],
      host: 'example.com',
      contentLength: -1,
      chunked: false,
      keepAlive: true,
      upgrade: undefined,
      expectContinue: false,
      connectionTokens: [],
      headBytes: b.length,
    });
  });

  it('trims OWS around values and keeps inner whitespace, empty values and obs-text', () => {
    const r = ok('GET / HTTP/1.1', 'Host:a', 'A: \t x  y \t ', 'B:', 'C:   ', 'D: caf\xe9');
    assert.deepEqual(r.headers, ['host', 'a', 'a', 'x  y', 'b', '', 'c', '', 'd', 'caf\xe9']);
  });

  it('keeps repeated fields in order', () => {
    const r = ok('GET / HTTP/1.1', 'Host: h', 'Cookie: a=1', 'cookie: b=2');
    assert.deepEqual(r.headers.slice(2), ['cookie', 'a=1', 'cookie', 'b=2']);
  });

  it('accepts custom token methods and is case-sensitive about them', () => {
    assert.equal(ok('PROPFIND /x HTTP/1.1', 'Host: h').method, 'PROPFIND');
    assert.equal(ok('get /x HTTP/1.1', 'Host: h').method, 'get');
  });

  it('skips leading empty lines and counts them in headBytes', () => {
    const b = Buffer.concat([Buffer.from('\r\n\r\n'), head('GET / HTTP/1.1', 'Host: h')]);
    const r = parse(b);
    assert.equal(r?.method, 'GET');
    assert.equal(r?.headBytes, b.length);
  });

  it('parses from a non-zero start and stops at the end of the head', () => {
    const msg = head('POST /p HTTP/1.1', 'Host: h', 'Content-Length: 4');
    const b = Buffer.concat([Buffer.from('junk'), msg, Buffer.from('bodyGET')]);
    const r = parse(b, 4);
    assert.equal(r?.headBytes, msg.length);
    assert.equal(r?.contentLength, 4);
    assert.equal(b.toString('latin1', 4 + msg.length, 8 + msg.length), 'body');
  });

  it('returns null until the blank line arrives', () => {
    const full = head('GET / HTTP/1.1', 'Host: h');
    for (let k = 0; k < full.length; k++) assert.equal(parse(full.subarray(0, k)), null, `prefix ${k}`);
    assert.equal(parse(Buffer.alloc(0)), null);
    assert.equal(parse(Buffer.from('\r\n')), null);
  });

  it('HTTP/1.0: no Host needed, keep-alive only when asked for', () => {
    const r = ok('GET / HTTP/1.0');
    assert.equal(r.versionMinor, 0);
    assert.equal(r.host, undefined);
    assert.equal(r.keepAlive, false);
    assert.equal(ok('GET / HTTP/1.0', 'Connection: Keep-Alive').keepAlive, true);
    assert.equal(ok('GET / HTTP/1.0', 'Connection: keep-alive, close').keepAlive, false);
  });

  it('HTTP/1.1: keep-alive unless Connection: close; tokens lower-cased', () => {
    const r = ok('GET / HTTP/1.1', 'Host: h', 'Connection: Keep-Alive, X-Foo', 'connection: ,CLOSE,');
    assert.equal(r.keepAlive, false);
    assert.deepEqual(r.connectionTokens, ['keep-alive', 'x-foo', 'close']);
    assert.equal(ok('GET / HTTP/1.1', 'Host: h', 'Connection: keep-alive').keepAlive, true);
  });

  it('Content-Length: digits, repeated identical values, up to 2^53-1', () => {
    assert.equal(ok('POST / HTTP/1.1', 'Host: h', 'Content-Length: 0').contentLength, 0);
    assert.equal(ok('POST / HTTP/1.1', 'Host: h', 'Content-Length: 0012').contentLength, 12);
    assert.equal(ok('POST / HTTP/1.1', 'Host: h', 'Content-Length: 5, 5').contentLength, 5);
    assert.equal(ok('POST / HTTP/1.1', 'Host: h', 'Content-Length: 5', 'Content-Length: 5').contentLength, 5);
    assert.equal(
      ok('POST / HTTP/1.1', 'Host: h', 'Content-Length: 9007199254740991').contentLength,
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('Transfer-Encoding: chunked, any case', () => {
    for (const te of ['chunked', 'Chunked', 'CHUNKED', ' chunked ']) {
      const r = ok('POST / HTTP/1.1', 'Host: h', `Transfer-Encoding:${te}`);
      assert.equal(r.chunked, true);
      assert.equal(r.contentLength, -1);
    }
  });

  it('Upgrade only when Connection nominates it (and only in HTTP/1.1)', () => {
    const r = ok('GET /ws HTTP/1.1', 'Host: h', 'Connection: Upgrade', 'Upgrade: websocket');
    assert.equal(r.upgrade, 'websocket');
    assert.equal(ok('GET / HTTP/1.1', 'Host: h', 'Upgrade: websocket').upgrade, undefined);
    assert.equal(ok('GET / HTTP/1.0', 'Connection: upgrade', 'Upgrade: websocket').upgrade, undefined);
    assert.equal(ok('GET / HTTP/1.1', 'Host: h', 'Connection: upgrade').upgrade, undefined);
  });

  it('Expect: 100-continue (HTTP/1.1 only)', () => {
    assert.equal(ok('PUT / HTTP/1.1', 'Host: h', 'Expect: 100-Continue').expectContinue, true);
    assert.equal(ok('PUT / HTTP/1.1', 'Host: h', 'Expect: something').expectContinue, false);
    assert.equal(ok('PUT / HTTP/1.0', 'Expect: 100-continue').expectContinue, false);
  });

  it('request-target forms', () => {
    assert.equal(ok('OPTIONS * HTTP/1.1', 'Host: h').target, '*');
    assert.equal(ok('CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443').target, 'example.com:443');
    assert.equal(ok('CONNECT [::1]:8443 HTTP/1.1', 'Host: [::1]:8443').target, '[::1]:8443');
    assert.equal(ok('GET http://a.b/x?y HTTP/1.1', 'Host: a.b').target, 'http://a.b/x?y');
    assert.equal(ok('GET HTTPS://[::1]:8443 HTTP/1.1', 'Host: h').target, 'HTTPS://[::1]:8443');
    assert.equal(ok('OPTIONS http://a:80?q HTTP/1.1', 'Host: h').target, 'http://a:80?q');
  });

  it('Host may be empty and may carry a port or an IP literal', () => {
    assert.equal(ok('GET / HTTP/1.1', 'Host:').host, '');
    assert.equal(ok('GET / HTTP/1.1', 'Host: [::1]:80').host, '[::1]:80');
    assert.equal(ok('GET / HTTP/1.1', 'Host: a-b.c_d.svc.cluster.local:9080').host, 'a-b.c_d.svc.cluster.local:9080');
  });

  it('accepts exactly maxHeaders fields and exactly maxHeaderBytes bytes', () => {
    const lines = ['GET / HTTP/1.1', 'Host: h'];
    for (let i = 1; i < DEFAULT_LIMITS.maxHeaders; i++) lines.push(`x-${i}: v`);
    assert.equal(ok(...lines).headers.length, DEFAULT_LIMITS.maxHeaders * 2);

    const base = head('GET / HTTP/1.1', 'Host: h', 'x: ').length;
    const exact = head('GET / HTTP/1.1', 'Host: h', 'x: ' + 'a'.repeat(DEFAULT_LIMITS.maxHeaderBytes - base));
    assert.equal(exact.length, DEFAULT_LIMITS.maxHeaderBytes);
    assert.equal(parse(exact)?.headBytes, exact.length);
  });

  it('honours custom limits', () => {
    const b = head('GET / HTTP/1.1', 'Host: h', 'a: 1', 'b: 2');
    assert.ok(parseRequestHead(b, 0, { maxHeaderBytes: b.length, maxHeaders: 3 }));
    throwsCodec(() => parseRequestHead(b, 0, { maxHeaderBytes: b.length, maxHeaders: 2 }), 431, 'too_many_headers');
    throwsCodec(() => parseRequestHead(b, 0, { maxHeaderBytes: b.length - 1, maxHeaders: 3 }), 431, 'headers_too_large');
  });
});

describe('request head: framing (smuggling defences)', () => {
  it('rejects Content-Length together with Transfer-Encoding, in either order', () => {
    bad('cl_te_conflict', 400, 'POST / HTTP/1.1', 'Host: h', 'Content-Length: 5', 'Transfer-Encoding: chunked');
    bad('cl_te_conflict', 400, 'POST / HTTP/1.1', 'Host: h', 'Transfer-Encoding: chunked', 'Content-Length: 5');
  });

  it('rejects differing Content-Length values', () => {
    bad('duplicate_content_length', 400, 'POST / HTTP/1.1', 'Host: h', 'Content-Length: 5', 'Content-Length: 6');
    bad('duplicate_content_length', 400, 'POST / HTTP/1.1', 'Host: h', 'Content-Length: 5, 6');
    bad('duplicate_content_length', 400, 'POST / HTTP/1.1', 'Host: h', 'Content-Length: 5, 5', 'Content-Length: 7');
  });

  for (const v of ['-1', '+5', '5 5', '', '0x10', '1.0', '5,', ',5', '5,,5', '12345678901234567', '9007199254740992', '1e3', '\xbd']) {
    it(`rejects Content-Length ${JSON.stringify(v)}`, () => {
      bad('invalid_content_length', 400, 'POST / HTTP/1.1', 'Host: h', `Content-Length: ${v}`);
    });
  }

  for (const te of ['gzip', 'identity', 'gzip, chunked', 'chunked, gzip', 'chunked, chunked', 'chunked;q=1', '', 'chunked x', '"chunked"']) {
    it(`answers 501 to Transfer-Encoding ${JSON.stringify(te)}`, () => {
      bad('unsupported_transfer_encoding', 501, 'POST / HTTP/1.1', 'Host: h', `Transfer-Encoding: ${te}`);
    });
  }

  it('answers 501 to chunked given twice in separate fields', () => {
    bad('unsupported_transfer_encoding', 501, 'POST / HTTP/1.1', 'Host: h', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked');
  });

  it('rejects Transfer-Encoding in HTTP/1.0', () => {
    bad('te_in_http10', 400, 'POST / HTTP/1.0', 'Transfer-Encoding: chunked');
  });

  it('rejects a Connection element that is not a token', () => {
    bad('invalid_connection', 400, 'GET / HTTP/1.1', 'Host: h', 'Connection: keep alive');
    bad('invalid_connection', 400, 'GET / HTTP/1.1', 'Host: h', 'Connection: "close"');
  });
});

describe('request head: line endings', () => {
  const cases: [string, string][] = [
    ['LF after the request line', 'GET / HTTP/1.1\nHost: h\r\n\r\n'],
    ['LF after a field', 'GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n'],
    ['LF-only terminator', 'GET / HTTP/1.1\r\nHost: h\r\n\n'],
    ['LF-only message', 'GET / HTTP/1.1\nHost: h\n\n'],
    ['LF inside a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n'],
    ['CR inside a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n'],
    ['CR at the end of a value', 'GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n'],
    ['CR inside a name', 'GET / HTTP/1.1\r\nHost: h\r\nX\r: a\r\n\r\n'],
    ['CR in the request line', 'GET /\r HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['CR after the version', 'GET / HTTP/1.1\r\r\nHost: h\r\n\r\n'],
    ['leading bare LF', '\nGET / HTTP/1.1\r\nHost: h\r\n\r\n'],
    ['leading CRLF then bare LF', '\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n'],
  ];
  for (const [name, raw] of cases) it(`rejects ${name}`, () => badRaw('bare_lf', 400, raw));

  it('rejects a bare LF before the head is complete', () => {
    badRaw('bare_lf', 400, 'GET / HTTP/1.1\nHost: h');
    badRaw('bare_lf', 400, '\n');
  });

  it('does not treat a CR before `start` as the partner of an LF at `start`', () => {
    const b = Buffer.from('x\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n', 'latin1');
    throwsCodec(() => parseRequestHead(b, 2), 400, 'bare_lf');
    throwsCodec(() => parseRequestHead(b.subarray(0, 10), 2), 400, 'bare_lf');
  });
});

describe('request head: field syntax', () => {
  it('rejects whitespace before the colon or inside the name', () => {
    bad('invalid_header_name', 400, 'GET / HTTP/1.1', 'Host : h');
    bad('invalid_header_name', 400, 'GET / HTTP/1.1', 'Host: h', 'Content-Length\t: 5');
    bad('invalid_header_name', 400, 'GET / HTTP/1.1', 'Host: h', 'X Y: 1');
  });

  it('rejects empty names, missing colons and non-token bytes', () => {
    bad('invalid_header_name', 400, 'GET / HTTP/1.1', 'Host: h', ': v');
    bad('invalid_header_name', 400, 'GET / HTTP/1.1', 'Host: h', 'novalue');
    for (const n of ['a(b', 'a@b', 'a"b', 'a/b', 'a[b', 'caf\xe9', 'a\x00b', 'a\x7fb', 'a{b']) {
      bad('invalid_header_name', 400, 'GET / HTTP/1.1', 'Host: h', `${n}: v`);
    }
  });

  it('rejects obsolete line folding', () => {
    bad('obs_fold', 400, 'GET / HTTP/1.1', 'Host: h', 'X: a', ' b');
    bad('obs_fold', 400, 'GET / HTTP/1.1', 'Host: h', 'X: a', '\tb');
    bad('obs_fold', 400, 'GET / HTTP/1.1', ' Host: h');
  });

  it('rejects control bytes in values but allows HTAB', () => {
    for (const c of ['\x00', '\x01', '\x08', '\x0b', '\x0c', '\x1f', '\x7f']) {
      bad('invalid_header_value', 400, 'GET / HTTP/1.1', 'Host: h', `X: a${c}b`);
    }
    assert.equal(ok('GET / HTTP/1.1', 'Host: h', 'X: a\tb').headers[3], 'a\tb');
  });

  it('rejects more than maxHeaders fields with 431', () => {
    const lines = ['GET / HTTP/1.1', 'Host: h'];
    for (let i = 0; i < DEFAULT_LIMITS.maxHeaders; i++) lines.push(`x-${i}: v`);
    bad('too_many_headers', 431, ...lines);
    // ...also before the head is complete
    const partial = Buffer.from(lines.join('\r\n') + '\r\nx-last: v', 'latin1');
    throwsCodec(() => parse(partial), 431, 'too_many_headers');
  });

  it('rejects a head over maxHeaderBytes with 431, complete or not', () => {
    bad('headers_too_large', 431, 'GET / HTTP/1.1', 'Host: h', 'X: ' + 'a'.repeat(DEFAULT_LIMITS.maxHeaderBytes));
    const partial = Buffer.from('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(DEFAULT_LIMITS.maxHeaderBytes), 'latin1');
    throwsCodec(() => parse(partial), 431, 'headers_too_large');
    const crlfs = Buffer.from('\r\n'.repeat(DEFAULT_LIMITS.maxHeaderBytes), 'latin1');
    throwsCodec(() => parse(crlfs), 431, 'headers_too_large');
  });
});

describe('request head: request line', () => {
  const malformed = [
    'GET  / HTTP/1.1',
    ' GET / HTTP/1.1',
    'GET / HTTP/1.1 ',
    'GET /  HTTP/1.1',
    'GET\t/ HTTP/1.1',
    'GET /\tHTTP/1.1',
    'GET / http/1.1',
    'GET / HTTP/1.10',
    'GET / HTTP/1',
    'GET / HTTP/1.x',
    'GET / HTTP/a.1',
    'GET /',
    'GET / ',
    'GET',
    '/ HTTP/1.1',
    'GE(T / HTTP/1.1',
    'G@T / HTTP/1.1',
    'GET /a b HTTP/1.1',
    'GET /a\x00 HTTP/1.1',
    'GET /a\x7f HTTP/1.1',
    'GET /caf\xe9 HTTP/1.1',
    'GET /\x1b HTTP/1.1',
  ];
  for (const line of malformed) {
    it(`rejects ${JSON.stringify(line)}`, () => bad('invalid_request_line', 400, line, 'Host: h'));
  }

  for (const v of ['HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/3.0', 'HTTP/9.9']) {
    it(`answers 505 to ${v}`, () => bad('invalid_version', 505, `GET / ${v}`, 'Host: h'));
  }

  it('answers 505 to the HTTP/2 connection preface', () => {
    badRaw('invalid_version', 505, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  });

  const badTargets: [string, string][] = [
    ['GET', '*'],
    ['OPTIONS', '*x'],
    ['GET', 'example.com:443'],
    ['GET', 'a/b'],
    ['GET', '?x'],
    ['CONNECT', '/'],
    ['CONNECT', 'example.com'],
    ['CONNECT', ':443'],
    ['CONNECT', 'a:'],
    ['CONNECT', 'a:123456'],
    ['CONNECT', 'a:44x'],
    ['CONNECT', 'http://a:443'],
    ['CONNECT', 'u@a:443'],
    ['GET', 'ftp://a/'],
    ['GET', 'http:/a/'],
    ['GET', 'http:///path'],
    ['GET', 'http://'],
    ['GET', 'http://user@host/'],
    ['GET', 'http://user:pw@host/'],
    ['GET', 'http://a"b/'],
  ];
  for (const [m, t] of badTargets) {
    it(`rejects target ${JSON.stringify(t)} for ${m}`, () => bad('invalid_target', 400, `${m} ${t} HTTP/1.1`, 'Host: h'));
  }
});

describe('request head: Host', () => {
  it('requires Host in HTTP/1.1', () => bad('missing_host', 400, 'GET / HTTP/1.1', 'X: y'));
  it('rejects two Host fields, even if equal', () => {
    bad('duplicate_host', 400, 'GET / HTTP/1.1', 'Host: a', 'Host: a');
    bad('duplicate_host', 400, 'GET / HTTP/1.0', 'Host: a', 'Host: b');
  });
  for (const h of ['a b', 'a/b', 'a@b', 'a?b', 'a#b', 'a\\b', 'caf\xe9', 'a\tb', '"a"']) {
    it(`rejects Host ${JSON.stringify(h)}`, () => bad('invalid_host', 400, 'GET / HTTP/1.1', `Host: ${h}`));
  }
});
