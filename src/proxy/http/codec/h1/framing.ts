/**
 * Message semantics derived from the parsed field lines: body framing (Content-Length /
 * Transfer-Encoding), persistence (Connection) and the request-only Host / Upgrade / Expect.
 * Rules follow RFC 9112 section 6, strictly: anything a smuggling attack could exploit through
 * disagreement between two parsers is an error rather than a guess.
 */

import { CodecError, type CodecStatus } from './errors.js';
import { COMMA, HTAB, SP, TOKEN } from './chars.js';

/** What interpretFields found. Reused between calls (see `interpretFields`). */
export interface FieldSemantics {
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  connectionTokens: string[];
  /** Host value of the last Host field, and how many there were. */
  host: string | undefined;
  hostCount: number;
  /** Comma-joined Upgrade values, present only if Connection nominates "upgrade". */
  upgrade: string | undefined;
  expectContinue: boolean;
}

const scratch: FieldSemantics = {
  contentLength: -1,
  chunked: false,
  keepAlive: false,
  connectionTokens: [],
  host: undefined,
  hostCount: 0,
  upgrade: undefined,
  expectContinue: false,
};

export interface FramingStatuses {
  /** Malformed framing headers: 400 for requests, 502 for responses. */
  readonly malformed: CodecStatus;
  /** A transfer coding we do not implement: 501 for requests, 502 for responses. */
  readonly unsupported: CodecStatus;
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/**
 * Parses one Content-Length field value (a comma list of identical decimal integers).
 * Returns the value, or throws.
 */
function parseContentLength(v: string, status: CodecStatus): number {
  let result = -1;
  let i = 0;
  const n = v.length;
  while (true) {
    while (i < n && isOws(v.charCodeAt(i))) i++;
    const digitsStart = i;
    let value = 0;
    while (i < n) {
      const c = v.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      i++;
    }
    const digits = i - digitsStart;
    if (digits === 0 || digits > 16 || value > Number.MAX_SAFE_INTEGER) {
      throw new CodecError('invalid_content_length', status);
    }
    while (i < n && isOws(v.charCodeAt(i))) i++;
    if (result !== -1 && result !== value) throw new CodecError('duplicate_content_length', status);
    result = value;
    if (i === n) return result;
    if (v.charCodeAt(i) !== COMMA) throw new CodecError('invalid_content_length', status);
    i++;
  }
}

/** Bounds of the next comma-list element at or after `from`, OWS-trimmed (may be empty). */
const el = { a: 0, b: 0, next: 0 };
function nextElement(v: string, from: number): void {
  let j = v.indexOf(',', from);
  if (j === -1) j = v.length;
  let a = from;
  let b = j;
  while (a < b && isOws(v.charCodeAt(a))) a++;
  while (b > a && isOws(v.charCodeAt(b - 1))) b--;
  el.a = a;
  el.b = b;
  el.next = j + 1;
}

/** Appends the lower-cased Connection options in `v` to `out` (empty elements ignored). */
function parseConnection(v: string, out: string[], status: CodecStatus): void {
  for (let i = 0; i <= v.length; i = el.next) {
    nextElement(v, i);
    if (el.b === el.a) continue;
    if (!isTokenRange(v, el.a, el.b)) throw new CodecError('invalid_connection', status);
    out.push(v.slice(el.a, el.b).toLowerCase());
  }
}

/**
 * Number of transfer codings listed in `v` (empty elements ignored), or -1 if any of them is
 * not "chunked".
 */
function chunkedCodings(v: string): number {
  let n = 0;
  for (let i = 0; i <= v.length; i = el.next) {
    nextElement(v, i);
    if (el.b === el.a) continue;
    if (!equalsIgnoreCase(v, el.a, el.b, 'chunked')) return -1;
    n++;
  }
  return n;
}

function isTokenRange(v: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = v.charCodeAt(i);
    if (c > 0xff || TOKEN[c] !== 1) return false;
  }
  return true;
}

function equalsIgnoreCase(v: string, a: number, b: number, lower: string): boolean {
  if (b - a !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((v.charCodeAt(a + i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Interprets the flat field list of a message with the given HTTP/1.x minor version.
 *
 * The returned object is a module-level scratch value, overwritten by the next call: copy what
 * you need before calling again (connectionTokens is a fresh array each time and may be kept).
 */
export function interpretFields(
  flat: readonly string[],
  versionMinor: 0 | 1,
  statuses: FramingStatuses,
): FieldSemantics {
  const bad = statuses.malformed;
  let contentLength = -1;
  let teCount = 0;
  let teCodings = 0;
  let teChunkedOnly = true;
  const connectionTokens: string[] = [];
  let host: string | undefined;
  let hostCount = 0;
  let upgrade: string | undefined;
  let expectContinue = false;

  for (let k = 0; k < flat.length; k += 2) {
    const name = flat[k]!;
    const value = flat[k + 1]!;
    // Compare by length first: most fields are none of these.
    switch (name.length) {
      case 4:
        if (name === 'host') {
          host = value;
          hostCount++;
        }
        break;
      case 6:
        if (name === 'expect' && equalsIgnoreCase(value, 0, value.length, '100-continue')) {
          expectContinue = true;
        }
        break;
      case 7:
        if (name === 'upgrade') upgrade = upgrade === undefined ? value : `${upgrade}, ${value}`;
        break;
      case 10:
        if (name === 'connection') {
          parseConnection(value, connectionTokens, bad);
        }
        break;
      case 14:
        if (name === 'content-length') {
          const v = parseContentLength(value, bad);
          if (contentLength !== -1 && contentLength !== v) {
            throw new CodecError('duplicate_content_length', bad);
          }
          contentLength = v;
        }
        break;
      case 17:
        if (name === 'transfer-encoding') {
          teCount++;
          const n = chunkedCodings(value);
          if (n === -1) teChunkedOnly = false;
          else teCodings += n;
        }
        break;
    }
  }

  let chunked = false;
  if (teCount > 0) {
    if (contentLength !== -1) throw new CodecError('cl_te_conflict', bad);
    if (versionMinor === 0) throw new CodecError('te_in_http10', bad);
    if (teCodings !== 1 || !teChunkedOnly) {
      throw new CodecError('unsupported_transfer_encoding', statuses.unsupported);
    }
    chunked = true;
  }

  let close = false;
  let keepAliveToken = false;
  let upgradeToken = false;
  for (let i = 0; i < connectionTokens.length; i++) {
    const t = connectionTokens[i];
    if (t === 'close') close = true;
    else if (t === 'keep-alive') keepAliveToken = true;
    else if (t === 'upgrade') upgradeToken = true;
  }

  const s = scratch;
  s.contentLength = contentLength;
  s.chunked = chunked;
  s.keepAlive = !close && (versionMinor === 1 || keepAliveToken);
  s.connectionTokens = connectionTokens;
  s.host = host;
  s.hostCount = hostCount;
  // RFC 9110 7.8: Upgrade is only meaningful when Connection nominates it, and an HTTP/1.0
  // message's Upgrade is ignored; likewise Expect: 100-continue (RFC 9110 10.1.1).
  s.upgrade = upgradeToken && versionMinor === 1 ? upgrade : undefined;
  s.expectContinue = expectContinue && versionMinor === 1;
  return s;
}
