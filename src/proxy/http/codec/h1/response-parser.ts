/**
 * Strict HTTP/1.1 response-head parser for upstream responses. Same contract as the request
 * parser (stateless, null until complete), but every failure is a 502: the fault is the
 * upstream's, and the downstream client should see a bad gateway.
 */

import { CodecError, type CodecStatus } from './errors.js';
import { DEFAULT_LIMITS, type HeadLimits } from './limits.js';
import { CR, LF, REASON, SP, latin1 } from './chars.js';
import { findHeadEnd, lineError, parseFieldLines } from './section.js';
import { interpretFields, type FramingStatuses } from './framing.js';

export interface ResponseHead {
  versionMinor: 0 | 1;
  status: number;
  reason: string;
  /** Flat [name0, value0, name1, value1, ...]; names lower-cased, values OWS-trimmed. */
  headers: string[];
  /** -1 when absent (and always -1 when chunked). */
  contentLength: number;
  chunked: boolean;
  /**
   * Persistence per version and Connection only. A response that has a body
   * (responseHasBody) but neither Content-Length nor chunked is delimited by the connection
   * closing, so the caller must also treat that as not keep-alive.
   */
  keepAlive: boolean;
  connectionTokens: string[];
  headBytes: number;
}

const BAD: CodecStatus = 502;
const STATUSES: FramingStatuses = { malformed: 502, unsupported: 502 };

/**
 * Parses the response head starting at buf[start] (no leading empty lines are skipped).
 *
 * @returns the head, or null when the terminating blank line has not arrived yet
 * @throws CodecError with status 502 on invalid input or exceeded limits
 */
export function parseResponseHead(
  buf: Buffer,
  start: number,
  limits: HeadLimits = DEFAULT_LIMITS,
): ResponseHead | null {
  const end = findHeadEnd(buf, start, start, limits, BAD, BAD);
  if (end === -1) return null;

  // HTTP-version SP
  const s = start;
  if (
    buf[s] !== 0x48 || buf[s + 1] !== 0x54 || buf[s + 2] !== 0x54 || buf[s + 3] !== 0x50 ||
    buf[s + 4] !== 0x2f || buf[s + 6] !== 0x2e
  ) {
    lineError(buf, s, 'invalid_status_line', BAD);
  }
  const major = buf[s + 5]! - 0x30;
  const minor = buf[s + 7]! - 0x30;
  if (!(major >= 0 && major <= 9 && minor >= 0 && minor <= 9) || buf[s + 8] !== SP) {
    lineError(buf, s + 5, 'invalid_status_line', BAD);
  }
  if (major !== 1 || minor > 1) throw new CodecError('invalid_version', BAD);
  const versionMinor = minor as 0 | 1;

  // status-code
  const d0 = buf[s + 9]! - 0x30;
  const d1 = buf[s + 10]! - 0x30;
  const d2 = buf[s + 11]! - 0x30;
  if (!(d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) {
    lineError(buf, s + 9, 'invalid_status_line', BAD);
  }
  const status = d0 * 100 + d1 * 10 + d2;
  if (status < 100 || status > 599) throw new CodecError('invalid_status', BAD);

  // [SP reason-phrase] CRLF. RFC 9112 4 requires the SP, but "HTTP/1.1 200\r\n" is common
  // enough from real servers that rejecting it would only break them.
  let i = s + 12;
  let reasonStart = i;
  if (buf[i] === SP) {
    reasonStart = ++i;
    let c = buf[i]!;
    while (REASON[c] === 1) c = buf[++i]!;
  }
  if (buf[i] !== CR || buf[i + 1] !== LF) lineError(buf, i, 'invalid_status_line', BAD);

  // One native decode for the whole head; every string below is a slice of it.
  const text = latin1(buf, s, end);
  const reason = reasonString(buf, reasonStart, i, text, s);
  const headers: string[] = [];
  parseFieldLines(buf, i + 2, end - 2, text, s, headers, limits.maxHeaders, BAD, BAD);
  const f = interpretFields(headers, versionMinor, STATUSES);

  return {
    versionMinor,
    status,
    reason,
    headers,
    contentLength: f.contentLength,
    chunked: f.chunked,
    keepAlive: f.keepAlive,
    connectionTokens: f.connectionTokens,
    headBytes: end - start,
  };
}

function reasonString(buf: Buffer, a: number, b: number, text: string, base: number): string {
  if (b - a === 2 && buf[a] === 0x4f && buf[a + 1] === 0x4b) return 'OK';
  return a === b ? '' : text.slice(a - base, b - base);
}

/**
 * Whether a response to `method` with `status` carries a body (RFC 9112 6.3): never for HEAD,
 * 1xx, 204, 304, nor for a 2xx to CONNECT (the connection becomes a tunnel).
 */
export function responseHasBody(method: string, status: number): boolean {
  if (method === 'HEAD') return false;
  if (status < 200 || status === 204 || status === 304) return false;
  if (method === 'CONNECT' && status < 300) return false;
  return true;
}
