import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  HOP_BY_HOP,
  getHeader,
  getHeaderAll,
  hasHeader,
  isValidHeaderName,
  isValidHeaderValue,
  removeHopByHop,
} from './headers.js';

const flat = ['host', 'h', 'connection', 'keep-alive, x-hop', 'x-hop', '1', 'cookie', 'a', 'cookie', 'b', 'te', 'trailers'];

describe('flat header helpers', () => {
  it('getHeader / getHeaderAll / hasHeader', () => {
    assert.equal(getHeader(flat, 'cookie'), 'a');
    assert.equal(getHeader(flat, 'missing'), undefined);
    assert.deepEqual(getHeaderAll(flat, 'cookie'), ['a', 'b']);
    assert.deepEqual(getHeaderAll(flat, 'missing'), []);
    assert.equal(hasHeader(flat, 'te'), true);
    assert.equal(hasHeader(flat, 'Host'), false, 'names are matched lower-case');
  });

  it('HOP_BY_HOP has the RFC 9110 set and the de-facto extras', () => {
    for (const n of ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']) {
      assert.ok(HOP_BY_HOP.has(n), n);
    }
  });

  it('removeHopByHop drops hop-by-hop and nominated fields into a new array', () => {
    const out = removeHopByHop(flat, ['keep-alive', 'x-hop']);
    assert.deepEqual(out, ['host', 'h', 'cookie', 'a', 'cookie', 'b']);
    assert.notEqual(out, flat);
    assert.equal(flat.length, 12, 'input untouched');
  });

  it('removeHopByHop refuses to let Connection remove Host or Content-Length', () => {
    const f = ['host', 'h', 'content-length', '3', 'x-a', '1', 'authorization', 'Bearer t'];
    assert.deepEqual(removeHopByHop(f, ['host', 'content-length', 'x-a']), ['host', 'h', 'content-length', '3', 'authorization', 'Bearer t']);
  });

  it('validates names and values for filters that set headers', () => {
    assert.equal(isValidHeaderName('x-weft_1.2'), true);
    for (const n of ['', 'a b', 'a:b', 'a\r\nb', 'caf\xe9', 'a\u0100']) assert.equal(isValidHeaderName(n), false, n);
    for (const v of ['', 'a', 'a b', 'a\tb', 'caf\xe9']) assert.equal(isValidHeaderValue(v), true, v);
    for (const v of ['a\r\nx-injected: 1', 'a\nb', 'a\rb', 'a\x00', '\x7f', ' a', 'a ', '\ta', 'a\u0100']) {
      assert.equal(isValidHeaderValue(v), false, JSON.stringify(v));
    }
  });
});
