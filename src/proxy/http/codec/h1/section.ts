/**
 * The header section shared by requests, responses and trailers: finding where it ends, and
 * parsing its field lines strictly into a flat [name0, value0, name1, value1, ...] array.
 */

import { CodecError, type CodecStatus } from './errors.js';
import type { CodecErrorCode } from './errors.js';
import type { HeadLimits } from './limits.js';
import { COLON, CR, FIELD_VALUE, HTAB, LF, SP, TOKEN } from './chars.js';
import { fieldNameString } from './intern.js';

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Throws for a line that stopped at buf[i]: a bare LF or a CR without LF is `bare_lf`, anything
 * else is `code`.
 */
export function lineError(buf: Buffer, i: number, code: CodecErrorCode, status: CodecStatus): never {
  const c = buf[i];
  if (c === LF || (c === CR && buf[i + 1] !== LF)) throw new CodecError('bare_lf', status);
  throw new CodecError(code, status);
}

/** Position of the first byte after any leading CRLF pairs at buf[pos...]. */
export function skipEmptyLines(buf: Buffer, pos: number): number {
  const len = buf.length;
  while (pos + 1 < len && buf[pos] === CR && buf[pos + 1] === LF) pos += 2;
  return pos;
}

/**
 * Finds the end of a header section whose first line starts at `lineStart`.
 *
 * @param start where the message's bytes begin (leading empty lines count toward the limit)
 * @returns the index just past the terminating CRLF CRLF, or -1 if it has not arrived yet. An
 *   incomplete section is still checked cheaply (native indexOf only) so that bare LFs, too many
 *   lines and too many bytes are rejected without waiting for a terminator that may never come.
 */
export function findHeadEnd(
  buf: Buffer,
  start: number,
  lineStart: number,
  limits: HeadLimits,
  errStatus: CodecStatus,
  limitStatus: CodecStatus,
): number {
  const idx = buf.indexOf(CRLFCRLF, lineStart);
  if (idx !== -1) {
    const end = idx + 4;
    if (end - start > limits.maxHeaderBytes) throw new CodecError('headers_too_large', limitStatus);
    return end;
  }
  if (buf.length - start > limits.maxHeaderBytes) {
    throw new CodecError('headers_too_large', limitStatus);
  }
  const maxLines = limits.maxHeaders + 1;
  let lines = 0;
  let i = buf.indexOf(LF, lineStart);
  while (i !== -1) {
    if (i === start || buf[i - 1] !== CR) throw new CodecError('bare_lf', errStatus);
    if (++lines > maxLines) throw new CodecError('too_many_headers', limitStatus);
    i = buf.indexOf(LF, i + 1);
  }
  return -1;
}

/**
 * Parses the field lines in buf[pos, end) into `out`. Every line in the region must end with
 * CRLF and `end` must be just past the last line's CRLF (the caller located the region with
 * findHeadEnd, so a CR is always found before `end` and the scans cannot run past it).
 *
 * Names are lower-cased; values have leading and trailing OWS removed.
 *
 * @param text latin1 decoding of buf from index `base` through at least `end`; the returned
 *   strings are slices of it (one native decode per head instead of one per field)
 */
export function parseFieldLines(
  buf: Buffer,
  pos: number,
  end: number,
  text: string,
  base: number,
  out: string[],
  maxFields: number,
  errStatus: CodecStatus,
  limitStatus: CodecStatus,
  limitCode: CodecErrorCode = 'too_many_headers',
): void {
  let count = 0;
  while (pos < end) {
    if (++count > maxFields) throw new CodecError(limitCode, limitStatus);
    let i = pos;
    let c = buf[i]!;
    if (c === SP || c === HTAB) throw new CodecError('obs_fold', errStatus);

    let hasUpper = false;
    while (TOKEN[c] === 1) {
      if (c >= 0x41 && c <= 0x5a) hasUpper = true;
      c = buf[++i]!;
    }
    if (c !== COLON || i === pos) lineError(buf, i, 'invalid_header_name', errStatus);
    const name = fieldNameString(buf, pos, i, hasUpper, text, base);

    c = buf[++i]!;
    while (c === SP || c === HTAB) c = buf[++i]!;
    const valueStart = i;
    while (FIELD_VALUE[c] === 1) c = buf[++i]!;
    if (c !== CR || buf[i + 1] !== LF) lineError(buf, i, 'invalid_header_value', errStatus);
    let valueEnd = i;
    while (valueEnd > valueStart) {
      const t = buf[valueEnd - 1];
      if (t !== SP && t !== HTAB) break;
      valueEnd--;
    }
    out.push(name, valueStart === valueEnd ? '' : text.slice(valueStart - base, valueEnd - base));
    pos = i + 2;
  }
}
