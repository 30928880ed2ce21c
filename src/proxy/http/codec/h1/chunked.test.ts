import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CRLF, ChunkedDecoder, LAST_CHUNK, chunkHeader, lastChunkWithTrailers } from './chunked.js';
import { CodecError, type CodecErrorCode } from './errors.js';
import { prng, randomCuts, splitAt, throwsCodec } from './test-helpers.js';

interface Decoded {
  body: string;
  consumed: number;
  done: boolean;
  trailers: string[];
}

/** Feeds the parts in order, stopping when the decoder is done; `consumed` is overall. */
function decodeParts(parts: readonly Buffer[], dec = new ChunkedDecoder()): Decoded {
  const chunks: Buffer[] = [];
  let consumed = 0;
  for (const p of parts) {
    if (dec.done) break;
    const n = dec.decode(p, (s) => {
      assert.ok(s.length > 0, 'empty data slice');
      chunks.push(Buffer.from(s));
    });
    assert.ok(n === p.length || dec.done, 'consumed less than given without finishing');
    consumed += n;
  }
  return { body: Buffer.concat(chunks).toString('latin1'), consumed, done: dec.done, trailers: dec.trailers };
}

const decodeStr = (s: string, dec?: ChunkedDecoder) => decodeParts([Buffer.from(s, 'latin1')], dec);

function rejects(s: string, code: CodecErrorCode, status: 400 | 502 = 400): void {
  throwsCodec(() => decodeStr(s, new ChunkedDecoder({ errorStatus: status })), status, code);
  // Byte by byte must fail the same way.
  const dec = new ChunkedDecoder({ errorStatus: status });
  const bytes = Buffer.from(s, 'latin1');
  throwsCodec(
    () => {
      for (let i = 0; i < bytes.length && !dec.done; i++) dec.decode(bytes.subarray(i, i + 1), () => {});
    },
    status,
    code,
  );
}

describe('ChunkedDecoder: accepted', () => {
  it('decodes one chunk and the last chunk', () => {
    assert.deepEqual(decodeStr('5\r\nhello\r\n0\r\n\r\n'), { body: 'hello', consumed: 15, done: true, trailers: [] });
  });

  it('decodes several chunks, hex in either case, leading zeros', () => {
    const body = 'a'.repeat(0x1a) + 'b'.repeat(0xf) + 'c';
    const r = decodeStr(`1A\r\n${'a'.repeat(0x1a)}\r\n00f\r\n${'b'.repeat(15)}\r\n1\r\nc\r\n000\r\n\r\n`);
    assert.equal(r.body, body);
    assert.equal(r.done, true);
  });

  it('leaves the next message alone', () => {
    const msg = '3\r\nabc\r\n0\r\n\r\n';
    const r = decodeStr(msg + 'GET / HTTP/1.1\r\n');
    assert.equal(r.consumed, msg.length);
    assert.equal(r.body, 'abc');
    const dec = new ChunkedDecoder();
    decodeStr(msg, dec);
    assert.equal(dec.decode(Buffer.from('more'), () => assert.fail('no data after done')), 0);
  });

  it('emits zero-copy slices of the input', () => {
    const buf = Buffer.from('5\r\nhello\r\n0\r\n\r\n');
    const slices: Buffer[] = [];
    new ChunkedDecoder().decode(buf, (s) => slices.push(s));
    assert.equal(slices.length, 1);
    assert.equal(slices[0]!.buffer, buf.buffer);
    assert.equal(slices[0]!.byteOffset, buf.byteOffset + 3);
  });

  it('accepts valid chunk extensions', () => {
    for (const ext of [';a', ';a=b', ';a=b;c', ' ;a', '\t; a = b ;c', ';a="q"', ';a="x\\"y; \\\\ z"', ';a=""', ';a=b\t;c="\xe9"']) {
      assert.equal(decodeStr(`2${ext}\r\nhi\r\n0${ext}\r\n\r\n`).body, 'hi', ext);
    }
  });

  it('accepts sizes up to 16 hex digits within 2^53-1', () => {
    const dec = new ChunkedDecoder();
    assert.equal(dec.decode(Buffer.from('1fffffffffffff\r\nab'), () => {}), 18);
    const dec2 = new ChunkedDecoder();
    assert.equal(dec2.decode(Buffer.from('00000000000000ff\r\n'), () => {}), 18);
  });

  it('parses trailers like header fields', () => {
    const r = decodeStr('1\r\nx\r\n0\r\nX-Checksum: abc \r\ngrpc-status:0\r\n\r\nNEXT');
    assert.deepEqual(r.trailers, ['x-checksum', 'abc', 'grpc-status', '0']);
    assert.equal(r.done, true);
    assert.equal(r.consumed, 'x\r\nX-Checksum: abc \r\ngrpc-status:0\r\n\r\n'.length + 6);
  });

  it('reset() makes a decoder reusable', () => {
    const dec = new ChunkedDecoder();
    assert.equal(decodeStr('1\r\na\r\n0\r\nT: 1\r\n\r\n', dec).body, 'a');
    dec.reset();
    assert.equal(dec.done, false);
    assert.deepEqual(decodeStr('1\r\nb\r\n0\r\n\r\n', dec), { body: 'b', consumed: 11, done: true, trailers: [] });
  });
});

describe('ChunkedDecoder: splits', () => {
  const msg = Buffer.from(
    '4;ext="a b"\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0;z\r\nA: 1\r\nB: two words\r\n\r\nNEXT',
    'latin1',
  );
  const whole = decodeParts([msg]);

  it('has the expected whole-buffer result', () => {
    assert.equal(whole.body, 'Wikipedia in\r\n\r\nchunks.');
    assert.deepEqual(whole.trailers, ['a', '1', 'b', 'two words']);
    assert.equal(whole.consumed, msg.length - 4);
  });

  it('gives the same result split at every boundary', () => {
    for (let k = 1; k < msg.length; k++) assert.deepEqual(decodeParts(splitAt(msg, [k])), whole, `split at ${k}`);
  });

  it('gives the same result byte by byte and at random multi-splits', () => {
    assert.deepEqual(decodeParts(splitAt(msg, Array.from({ length: msg.length - 1 }, (_, i) => i + 1))), whole);
    const rand = prng(7);
    for (let t = 0; t < 500; t++) {
      const cuts = randomCuts(rand, msg.length, 2 + Math.floor(rand() * 12));
      assert.deepEqual(decodeParts(splitAt(msg, cuts)), whole, `cuts ${cuts.join(',')}`);
    }
  });
});

describe('ChunkedDecoder: rejected', () => {
  const badSizes = ['\r\n', 'g\r\n', '-1\r\n', '+1\r\n', '0x5\r\n', ' 5\r\n', '5 \r\n', '5\t\r\n', '12345678901234567\r\n', '20000000000000\r\n', 'ffffffffffffffff\r\n', '5\r\r\n'];
  for (const s of badSizes) {
    it(`rejects size line ${JSON.stringify(s)}`, () => rejects(s, s === '5\r\r\n' ? 'bare_lf' : 'invalid_chunk_size'));
  }

  const badExts = [';', '; ', ';a ', ';a=b ', ';a="" ', ';=b', ';a=', ';a= ', ';a b', ';a=b c', ';a="x', ';a="x"y', ';a=b=c', ';a="\x01"', ';a\x00', ';a=\xe9', ';a="\\\x01"'];
  for (const e of badExts) {
    it(`rejects extension ${JSON.stringify(e)}`, () => rejects(`5${e}\r\nhello\r\n0\r\n\r\n`, 'invalid_chunk_ext'));
  }

  it('rejects bare LF and bare CR everywhere', () => {
    rejects('5\nhello\r\n0\r\n\r\n', 'bare_lf');
    rejects('5;a\nhello\r\n0\r\n\r\n', 'bare_lf');
    rejects('5\r\nhello\n0\r\n\r\n', 'bare_lf');
    rejects('5\r\nhello\rX0\r\n\r\n', 'bare_lf');
    rejects('5\r\nhello\r\n0\n\r\n', 'bare_lf');
    rejects('5\r\nhello\r\n0\r\n\n', 'bare_lf');
    rejects('5\r\nhello\r\n0\r\n\rX', 'bare_lf');
    rejects('0\r\nA: b\n\r\n', 'bare_lf');
    rejects('0\r\nA: b\rc\r\n\r\n', 'bare_lf');
  });

  it('rejects data not followed by CRLF', () => {
    rejects('5\r\nhelloX\r\n0\r\n\r\n', 'invalid_chunk_data');
    rejects('3\r\nhello\r\n0\r\n\r\n', 'invalid_chunk_data');
  });

  it('rejects a chunk-size line longer than the limit', () => {
    rejects(`5;a=${'b'.repeat(5000)}\r\nhello\r\n0\r\n\r\n`, 'chunk_ext_too_long');
    throwsCodec(() => decodeStr('5;abc\r\nhello\r\n0\r\n\r\n', new ChunkedDecoder({ maxLineBytes: 5 })), 400, 'chunk_ext_too_long');
  });

  it('rejects invalid trailer fields', () => {
    rejects('0\r\n folded\r\n\r\n', 'obs_fold');
    rejects('0\r\nno colon\r\n\r\n', 'invalid_header_name');
    rejects('0\r\nA : b\r\n\r\n', 'invalid_header_name');
    rejects('0\r\nA: \x00\r\n\r\n', 'invalid_header_value');
  });

  it('rejects too many or too large trailers', () => {
    const limits = { maxHeaderBytes: 20, maxHeaders: 2 };
    assert.deepEqual(decodeStr('0\r\na: 1\r\nb: 2\r\n\r\n', new ChunkedDecoder({ trailerLimits: limits })).trailers, ['a', '1', 'b', '2']);
    throwsCodec(() => decodeStr('0\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n', new ChunkedDecoder({ trailerLimits: limits })), 400, 'trailers_too_large');
    throwsCodec(() => decodeStr('0\r\na: 12345678901234567890\r\n\r\n', new ChunkedDecoder({ trailerLimits: limits })), 400, 'trailers_too_large');
    // A trailer line that never ends, fed in pieces, is cut off at the limit.
    const dec = new ChunkedDecoder({ trailerLimits: limits });
    dec.decode(Buffer.from('0\r\na: '), () => {});
    throwsCodec(() => {
      for (let i = 0; i < 10; i++) dec.decode(Buffer.from('xxxxx'), () => {});
    }, 400, 'trailers_too_large');
  });

  it('uses the configured status (502 for response bodies)', () => {
    rejects('z\r\n', 'invalid_chunk_size', 502);
    rejects('1\r\nab', 'invalid_chunk_data', 502);
  });

  it('stays failed after an error', () => {
    const dec = new ChunkedDecoder();
    assert.throws(() => dec.decode(Buffer.from('x'), () => {}), CodecError);
    throwsCodec(() => dec.decode(Buffer.from('0\r\n\r\n'), () => {}), 400, 'decoder_failed');
    dec.reset();
    assert.equal(decodeStr('0\r\n\r\n', dec).done, true);
  });

  it('an exception from onData propagates and leaves the decoder usable', () => {
    const dec = new ChunkedDecoder();
    assert.throws(() => dec.decode(Buffer.from('3\r\nab'), () => { throw new Error('sink'); }), /sink/);
    assert.deepEqual(decodeStr('c\r\n0\r\n\r\n', dec), { body: 'c', consumed: 8, done: true, trailers: [] });
  });
});

describe('chunked encoding helpers', () => {
  it('chunkHeader writes lower-case hex and CRLF', () => {
    assert.equal(chunkHeader(1).toString(), '1\r\n');
    assert.equal(chunkHeader(255).toString(), 'ff\r\n');
    assert.equal(chunkHeader(65536).toString(), '10000\r\n');
    assert.throws(() => chunkHeader(0), RangeError);
    assert.throws(() => chunkHeader(-1), RangeError);
    assert.throws(() => chunkHeader(1.5), RangeError);
  });

  it('constants', () => {
    assert.equal(CRLF.toString(), '\r\n');
    assert.equal(LAST_CHUNK.toString(), '0\r\n\r\n');
    assert.equal(lastChunkWithTrailers([]), LAST_CHUNK);
    assert.equal(lastChunkWithTrailers(['a', '1', 'b', '2']).toString(), '0\r\na: 1\r\nb: 2\r\n\r\n');
  });

  it('round-trips through the decoder', () => {
    const rand = prng(3);
    const pieces: Buffer[] = [];
    const payloads: string[] = [];
    for (let i = 0; i < 20; i++) {
      const p = 'x'.repeat(1 + Math.floor(rand() * 3000)) + String(i);
      payloads.push(p);
      pieces.push(chunkHeader(p.length), Buffer.from(p), CRLF);
    }
    pieces.push(lastChunkWithTrailers(['grpc-status', '0']));
    const r = decodeParts([Buffer.concat(pieces)]);
    assert.equal(r.body, payloads.join(''));
    assert.deepEqual(r.trailers, ['grpc-status', '0']);
  });
});
