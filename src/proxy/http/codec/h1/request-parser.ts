/**
 * Strict HTTP/1.1 request-head parser for the proxy's hot path. Stateless: call it again with
 * the grown buffer until it returns a head. It scans bytes through lookup tables, decodes with
 * latin1 and allocates only the strings it returns.
 */

import { CodecError, type CodecStatus } from './errors.js';
import { DEFAULT_LIMITS, type HeadLimits } from './limits.js';
import { CR, HOST, LF, SP, TARGET, TOKEN, latin1 } from './chars.js';
import { methodString } from './intern.js';
import { findHeadEnd, lineError, parseFieldLines, skipEmptyLines } from './section.js';
import { interpretFields, type FramingStatuses } from './framing.js';

export interface RequestHead {
  method: string;
  target: string;
  versionMinor: 0 | 1;
  /** Flat [name0, value0, name1, value1, ...]; names lower-cased, values OWS-trimmed. */
  headers: string[];
  host: string | undefined;
  /** -1 when absent (and always -1 when chunked). */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  /** The Upgrade value when Connection nominates "upgrade" (HTTP/1.1 only). */
  upgrade: string | undefined;
  expectContinue: boolean;
  /** Lower-cased Connection options, for hop-by-hop removal. */
  connectionTokens: string[];
  /** Bytes consumed from `start`, including skipped leading CRLFs and the final CRLF CRLF. */
  headBytes: number;
}

const BAD: CodecStatus = 400;
const STATUSES: FramingStatuses = { malformed: 400, unsupported: 501 };

const SLASH = 0x2f;
const STAR = 0x2a;

/**
 * Parses the request head starting at buf[start].
 *
 * @returns the head, or null when the terminating blank line has not arrived yet
 * @throws CodecError on invalid input (status 400, 431, 501 or 505), including when the bytes
 *   received so far already exceed `limits` without completing the head
 */
export function parseRequestHead(
  buf: Buffer,
  start: number,
  limits: HeadLimits = DEFAULT_LIMITS,
): RequestHead | null {
  // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line.
  const lineStart = skipEmptyLines(buf, start);
  const end = findHeadEnd(buf, start, lineStart, limits, BAD, 431);
  if (end === -1) return null;

  // method SP
  let i = lineStart;
  let c = buf[i]!;
  while (TOKEN[c] === 1) c = buf[++i]!;
  if (c !== SP || i === lineStart) lineError(buf, i, 'invalid_request_line', BAD);
  const methodEnd = i;

  // request-target SP
  const targetStart = ++i;
  c = buf[i]!;
  while (TARGET[c] === 1) c = buf[++i]!;
  if (c !== SP || i === targetStart) lineError(buf, i, 'invalid_request_line', BAD);
  const targetEnd = i;

  // HTTP-version CRLF
  const v = i + 1;
  const versionMinor = parseVersion(buf, v);
  if (buf[v + 8] !== CR || buf[v + 9] !== LF) lineError(buf, v + 8, 'invalid_request_line', BAD);

  // One native decode for the whole head; every string below is a slice of it.
  const text = latin1(buf, lineStart, end);
  const method = methodString(buf, lineStart, methodEnd, text, lineStart);
  checkTargetForm(buf, targetStart, targetEnd, method);
  const target = text.slice(targetStart - lineStart, targetEnd - lineStart);

  const headers: string[] = [];
  parseFieldLines(buf, v + 10, end - 2, text, lineStart, headers, limits.maxHeaders, BAD, 431);

  const f = interpretFields(headers, versionMinor, STATUSES);
  if (f.hostCount > 1) throw new CodecError('duplicate_host', BAD);
  if (f.host === undefined) {
    if (versionMinor === 1) throw new CodecError('missing_host', BAD);
  } else {
    checkHost(f.host);
  }

  return {
    method,
    target,
    versionMinor,
    headers,
    host: f.host,
    contentLength: f.contentLength,
    chunked: f.chunked,
    keepAlive: f.keepAlive,
    upgrade: f.upgrade,
    expectContinue: f.expectContinue,
    connectionTokens: f.connectionTokens,
    headBytes: end - start,
  };
}

/**
 * Reads "HTTP/d.d" at buf[v]. Returns the minor version of HTTP/1.0 or 1.1; throws 505 for any
 * other well-formed version (HTTP/2.0 preface included) and 400 for a malformed one.
 */
function parseVersion(buf: Buffer, v: number): 0 | 1 {
  if (
    buf[v] !== 0x48 || buf[v + 1] !== 0x54 || buf[v + 2] !== 0x54 || buf[v + 3] !== 0x50 ||
    buf[v + 4] !== SLASH || buf[v + 6] !== 0x2e
  ) {
    lineError(buf, v, 'invalid_request_line', BAD);
  }
  const major = buf[v + 5]! - 0x30;
  const minor = buf[v + 7]! - 0x30;
  if (!(major >= 0 && major <= 9 && minor >= 0 && minor <= 9)) {
    lineError(buf, v + 5, 'invalid_request_line', BAD);
  }
  if (major !== 1 || minor > 1) throw new CodecError('invalid_version', 505);
  return minor as 0 | 1;
}

/**
 * RFC 9112 3.2: origin-form ("/..."), absolute-form ("http[s]://authority..."), authority-form
 * ("host:port", CONNECT only, and CONNECT accepts nothing else) or asterisk-form ("*", OPTIONS
 * only). Byte values were already limited to VCHAR.
 */
function checkTargetForm(buf: Buffer, a: number, b: number, method: string): void {
  const first = buf[a];
  if (method === 'CONNECT') {
    if (!isAuthorityForm(buf, a, b)) throw new CodecError('invalid_target', BAD, 'CONNECT needs host:port');
    return;
  }
  if (first === SLASH) return;
  if (first === STAR) {
    if (b - a === 1 && method === 'OPTIONS') return;
    throw new CodecError('invalid_target', BAD, '"*" is only for OPTIONS');
  }
  if (!isAbsoluteForm(buf, a, b)) throw new CodecError('invalid_target', BAD);
}

/** uri-host ":" port, with a non-empty host and a 1-5 digit port. */
function isAuthorityForm(buf: Buffer, a: number, b: number): boolean {
  let colon = -1;
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (HOST[c] !== 1) return false;
    if (c === 0x3a) colon = i;
  }
  const portDigits = b - colon - 1;
  if (colon <= a || portDigits < 1 || portDigits > 5) return false;
  for (let i = colon + 1; i < b; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** "http://" or "https://" (any case) followed by a non-empty authority without userinfo. */
function isAbsoluteForm(buf: Buffer, a: number, b: number): boolean {
  if (
    b - a < 8 || (buf[a]! | 0x20) !== 0x68 || (buf[a + 1]! | 0x20) !== 0x74 ||
    (buf[a + 2]! | 0x20) !== 0x74 || (buf[a + 3]! | 0x20) !== 0x70
  ) {
    return false;
  }
  let i = a + 4;
  if ((buf[i]! | 0x20) === 0x73) i++;
  if (buf[i] !== 0x3a || buf[i + 1] !== SLASH || buf[i + 2] !== SLASH) return false;
  i += 3;
  const authStart = i;
  while (i < b) {
    const c = buf[i]!;
    if (c === SLASH || c === 0x3f || c === 0x23) break; // "/" "?" "#"
    if (HOST[c] !== 1) return false; // includes "@": no userinfo
    i++;
  }
  return i > authStart;
}

function checkHost(host: string): void {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c > 0xff || HOST[c] !== 1) throw new CodecError('invalid_host', BAD);
  }
}
