import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  reasonPhrase,
  requestHeadString,
  responseHeadString,
  serializeRequestHead,
  serializeResponseHead,
} from './serialize.js';
import { parseRequestHead } from './request-parser.js';
import { parseResponseHead } from './response-parser.js';

describe('head serialization', () => {
  it('request head', () => {
    assert.equal(
      requestHeadString('GET', '/x', ['host', 'a', 'x-y', 'z']),
      'GET /x HTTP/1.1\r\nhost: a\r\nx-y: z\r\n\r\n',
    );
    assert.equal(requestHeadString('GET', '/', [], 0), 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(serializeRequestHead('GET', '/', ['d', '\xe9']).toString('latin1'), 'GET / HTTP/1.1\r\nd: \xe9\r\n\r\n');
    assert.equal(serializeRequestHead('GET', '/', ['d', '\xe9']).length, 24, 'latin1, one byte per char');
  });

  it('response head with the standard or a given reason', () => {
    assert.equal(responseHeadString(200, ['content-length', '0']), 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    assert.equal(responseHeadString(404, [], 'Nope'), 'HTTP/1.1 404 Nope\r\n\r\n');
    assert.equal(responseHeadString(599, [], undefined, 0), 'HTTP/1.0 599 \r\n\r\n');
    assert.equal(serializeResponseHead(431, []).toString(), 'HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n');
    assert.equal(reasonPhrase(502), 'Bad Gateway');
    assert.equal(reasonPhrase(799), '');
  });

  it('round-trips through the parsers', () => {
    const headers = ['host', 'svc.ns.svc.cluster.local', 'content-length', '5', 'x-a', 'b c'];
    const req = parseRequestHead(serializeRequestHead('POST', '/p?q=1', headers), 0);
    assert.equal(req?.method, 'POST');
    assert.equal(req?.target, '/p?q=1');
    assert.deepEqual(req?.headers, headers);
    const res = parseResponseHead(serializeResponseHead(201, headers.slice(2)), 0);
    assert.equal(res?.status, 201);
    assert.equal(res?.reason, 'Created');
    assert.deepEqual(res?.headers, headers.slice(2));
  });
});
