/**
 * Chunked transfer coding (RFC 9112 section 7.1): a streaming decoder that passes chunk data
 * through as zero-copy subarrays, and the few constant pieces an encoder needs.
 */

import { CodecError, type CodecErrorCode, type CodecStatus } from './errors.js';
import { DEFAULT_LIMITS, MAX_CHUNK_LINE_BYTES, type HeadLimits } from './limits.js';
import { BACKSLASH, CR, DQUOTE, EQUALS, HEX, HTAB, LF, SEMI, SP, TOKEN } from './chars.js';
import { parseFieldLines } from './section.js';
import { latin1 } from './chars.js';

// Decoder states. The S_EXT_* states walk chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ).
const S_SIZE = 0; // hex digits
const S_SIZE_WS = 1; // BWS after the size: only ";" may follow
const S_EXT_PRE = 2; // after ";", BWS before the name
const S_EXT_NAME = 3;
const S_EXT_NAME_WS = 4; // BWS after a name: "=" or ";" may follow
const S_EXT_VAL_PRE = 5; // after "=", BWS before the value
const S_EXT_TOKEN = 6;
const S_EXT_QUOTED = 7;
const S_EXT_QUOTED_ESC = 8;
const S_EXT_VAL_END = 9; // after a closing quote
const S_EXT_VAL_WS = 10; // BWS after a value: only ";" may follow
const S_SIZE_LF = 11; // CR seen at the end of the size line
const S_DATA = 12;
const S_DATA_CR = 13;
const S_DATA_LF = 14;
const S_TRAILER_START = 15; // at the start of a trailer line (or of the final empty line)
const S_TRAILER_LINE = 16;
const S_TRAILER_LF = 17;
const S_END_LF = 18; // CR of the final empty line seen
const S_DONE = 19;
const S_FAILED = 20;

/** qdtext / quoted-pair payload: HTAB / SP / VCHAR / obs-text, minus DQUOTE and "\" for qdtext. */
function isQuotedPairChar(c: number): boolean {
  return c === HTAB || (c >= 0x20 && c !== 0x7f);
}

export interface ChunkedDecoderOptions {
  /** 400 when decoding a request body (default), 502 for a response body. */
  errorStatus?: CodecStatus;
  /** Bounds on the trailer section (default DEFAULT_LIMITS). */
  trailerLimits?: HeadLimits;
  /** Longest chunk-size line including extensions and CRLF (default 4096). */
  maxLineBytes?: number;
}

export class ChunkedDecoder {
  /** True once the last chunk and the trailer section have been consumed. */
  done = false;
  /** Trailer fields (flat, names lower-cased), available once `done`. */
  trailers: string[] = [];

  private state = S_SIZE;
  /** Chunk size being read, then the data bytes left in the current chunk. */
  private size = 0;
  private digits = 0;
  private lineBytes = 0;
  private trailerParts: Buffer[] = [];
  private trailerBytes = 0;
  private trailerLines = 0;

  private readonly status: CodecStatus;
  private readonly limits: HeadLimits;
  private readonly maxLineBytes: number;

  constructor(options: ChunkedDecoderOptions = {}) {
    this.status = options.errorStatus ?? 400;
    this.limits = options.trailerLimits ?? DEFAULT_LIMITS;
    this.maxLineBytes = options.maxLineBytes ?? MAX_CHUNK_LINE_BYTES;
  }

  /** Prepare for the next message's body (keeps the options). */
  reset(): void {
    this.done = false;
    this.trailers = [];
    this.state = S_SIZE;
    this.size = 0;
    this.digits = 0;
    this.lineBytes = 0;
    this.trailerParts = [];
    this.trailerBytes = 0;
    this.trailerLines = 0;
  }

  /**
   * Consumes chunked-coded bytes from `buf`, calling `onData` with each run of chunk data
   * (subarrays of `buf`, never copies, never empty).
   *
   * @returns bytes consumed: all of `buf` unless the body ended inside it, in which case the
   *   bytes after the trailer section belong to the next message and are left alone
   * @throws CodecError on malformed input; the decoder is then unusable until reset(). An
   *   exception thrown by `onData` propagates and leaves the decoder consistent: the slice it
   *   was given counts as consumed.
   */
  decode(buf: Buffer, onData: (slice: Buffer) => void): number {
    const n = buf.length;
    let state = this.state;
    if (state === S_DONE) return 0;
    if (state === S_FAILED) throw new CodecError('decoder_failed', this.status);
    let i = 0;
    // Start of the trailer bytes recorded from this buffer, or -1 when not recording.
    let seg = state === S_TRAILER_START || state === S_TRAILER_LINE || state === S_TRAILER_LF ? 0 : -1;

    while (i < n) {
      if (state === S_DATA) {
        const take = Math.min(this.size, n - i);
        this.size -= take;
        if (this.size === 0) state = S_DATA_CR;
        this.state = state;
        const slice = buf.subarray(i, i + take);
        i += take;
        onData(slice);
        continue;
      }
      const c = buf[i]!;
      if (state < S_DATA) {
        // The chunk-size line.
        if (++this.lineBytes > this.maxLineBytes) this.fail('chunk_ext_too_long');
        if (c === LF && state !== S_SIZE_LF) this.fail('bare_lf');
        state = this.sizeLine(state, c);
        i++;
        continue;
      }
      switch (state) {
        case S_DATA_CR:
          if (c !== CR) this.fail(c === LF ? 'bare_lf' : 'invalid_chunk_data');
          state = S_DATA_LF;
          i++;
          break;
        case S_DATA_LF:
          if (c !== LF) this.fail('bare_lf');
          state = S_SIZE;
          this.size = 0;
          this.digits = 0;
          this.lineBytes = 0;
          i++;
          break;
        case S_TRAILER_START:
          if (c === CR) {
            this.record(buf, seg, i);
            seg = -1;
            state = S_END_LF;
            i++;
          } else if (c === LF) {
            this.fail('bare_lf');
          } else {
            if (seg === -1) seg = i;
            state = S_TRAILER_LINE;
          }
          break;
        case S_TRAILER_LINE: {
          let j = i;
          let d = c;
          while (d !== CR && d !== LF) {
            if (++j === n) break;
            d = buf[j]!;
          }
          if (j < n) {
            if (d === LF) this.fail('bare_lf');
            state = S_TRAILER_LF;
            j++;
          }
          i = j;
          break;
        }
        case S_TRAILER_LF:
          if (c !== LF) this.fail('bare_lf');
          i++;
          if (++this.trailerLines > this.limits.maxHeaders) this.fail('trailers_too_large');
          if (this.trailerBytes + (i - seg) > this.limits.maxHeaderBytes) this.fail('trailers_too_large');
          state = S_TRAILER_START;
          break;
        case S_END_LF:
          if (c !== LF) this.fail('bare_lf');
          i++;
          this.finish();
          this.state = S_DONE;
          this.done = true;
          return i;
        default:
          this.fail('decoder_failed');
      }
    }
    if (seg !== -1) this.record(buf, seg, n);
    this.state = state;
    return n;
  }

  /** One byte of the chunk-size line; returns the next state. */
  private sizeLine(state: number, c: number): number {
    switch (state) {
      case S_SIZE: {
        const h = HEX[c]!;
        if (h >= 0) {
          this.size = this.size * 16 + h;
          if (++this.digits > 16 || this.size > Number.MAX_SAFE_INTEGER) this.fail('invalid_chunk_size');
          return S_SIZE;
        }
        if (this.digits === 0) this.fail('invalid_chunk_size');
        if (c === CR) return S_SIZE_LF;
        if (c === SEMI) return S_EXT_PRE;
        if (c === SP || c === HTAB) return S_SIZE_WS;
        return this.fail('invalid_chunk_size');
      }
      case S_SIZE_WS:
        if (c === SP || c === HTAB) return S_SIZE_WS;
        if (c === SEMI) return S_EXT_PRE;
        return this.fail('invalid_chunk_size');
      case S_EXT_PRE:
        if (c === SP || c === HTAB) return S_EXT_PRE;
        if (TOKEN[c] === 1) return S_EXT_NAME;
        return this.fail('invalid_chunk_ext');
      case S_EXT_NAME:
        if (TOKEN[c] === 1) return S_EXT_NAME;
        if (c === EQUALS) return S_EXT_VAL_PRE;
        if (c === SEMI) return S_EXT_PRE;
        if (c === CR) return S_SIZE_LF;
        if (c === SP || c === HTAB) return S_EXT_NAME_WS;
        return this.fail('invalid_chunk_ext');
      case S_EXT_NAME_WS:
        if (c === SP || c === HTAB) return S_EXT_NAME_WS;
        if (c === EQUALS) return S_EXT_VAL_PRE;
        if (c === SEMI) return S_EXT_PRE;
        return this.fail('invalid_chunk_ext');
      case S_EXT_VAL_PRE:
        if (c === SP || c === HTAB) return S_EXT_VAL_PRE;
        if (c === DQUOTE) return S_EXT_QUOTED;
        if (TOKEN[c] === 1) return S_EXT_TOKEN;
        return this.fail('invalid_chunk_ext');
      case S_EXT_TOKEN:
        if (TOKEN[c] === 1) return S_EXT_TOKEN;
        if (c === SEMI) return S_EXT_PRE;
        if (c === CR) return S_SIZE_LF;
        if (c === SP || c === HTAB) return S_EXT_VAL_WS;
        return this.fail('invalid_chunk_ext');
      case S_EXT_QUOTED:
        if (c === DQUOTE) return S_EXT_VAL_END;
        if (c === BACKSLASH) return S_EXT_QUOTED_ESC;
        if (isQuotedPairChar(c)) return S_EXT_QUOTED;
        return this.fail('invalid_chunk_ext');
      case S_EXT_QUOTED_ESC:
        if (isQuotedPairChar(c)) return S_EXT_QUOTED;
        return this.fail('invalid_chunk_ext');
      case S_EXT_VAL_END:
        if (c === SEMI) return S_EXT_PRE;
        if (c === CR) return S_SIZE_LF;
        if (c === SP || c === HTAB) return S_EXT_VAL_WS;
        return this.fail('invalid_chunk_ext');
      case S_EXT_VAL_WS:
        if (c === SP || c === HTAB) return S_EXT_VAL_WS;
        if (c === SEMI) return S_EXT_PRE;
        return this.fail('invalid_chunk_ext');
      case S_SIZE_LF:
        if (c !== LF) this.fail('bare_lf');
        this.lineBytes = 0;
        if (this.size === 0) return S_TRAILER_START;
        return S_DATA;
      default:
        return this.fail('decoder_failed');
    }
  }

  /** Copies trailer bytes buf[from, to) aside (the caller may reuse `buf` after decode). */
  private record(buf: Buffer, from: number, to: number): void {
    if (from === -1 || to <= from) return;
    this.trailerBytes += to - from;
    if (this.trailerBytes > this.limits.maxHeaderBytes) this.fail('trailers_too_large');
    this.trailerParts.push(Buffer.from(buf.subarray(from, to)));
  }

  /** Parses the recorded trailer section into `trailers`. */
  private finish(): void {
    const parts = this.trailerParts;
    if (parts.length === 0) return;
    const tb = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.trailerBytes);
    this.trailerParts = [];
    try {
      parseFieldLines(tb, 0, tb.length, latin1(tb, 0, tb.length), 0, this.trailers, this.limits.maxHeaders, this.status, this.status, 'trailers_too_large');
    } catch (err) {
      this.state = S_FAILED;
      throw err;
    }
  }

  private fail(code: CodecErrorCode): never {
    this.state = S_FAILED;
    throw new CodecError(code, this.status);
  }
}

/** CRLF, ending chunk data. */
export const CRLF: Buffer = Buffer.from('\r\n', 'latin1');

/** The last chunk with an empty trailer section. */
export const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1');

/** "<hex len>\r\n" for a chunk of `len` bytes (len > 0; a zero-length chunk would end the body). */
export function chunkHeader(len: number): Buffer {
  if (!(Number.isSafeInteger(len) && len > 0)) throw new RangeError(`chunk length ${len}`);
  return Buffer.from(len.toString(16) + '\r\n', 'latin1');
}

/** The last chunk followed by the given trailer fields (flat list, already validated). */
export function lastChunkWithTrailers(trailers: readonly string[]): Buffer {
  if (trailers.length === 0) return LAST_CHUNK;
  let s = '0\r\n';
  for (let i = 0; i < trailers.length; i += 2) s += trailers[i]! + ': ' + trailers[i + 1]! + '\r\n';
  return Buffer.from(s + '\r\n', 'latin1');
}
