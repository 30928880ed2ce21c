/**
 * Head serialization. The head is built as one string and encoded once (V8 concatenates into a
 * rope and flattens it in a single pass), so a head costs one Buffer however many fields it has.
 * Field names and values are written as given: they must be valid (see isValidHeaderName /
 * isValidHeaderValue in headers.ts) — values produced by our parsers always are.
 */

import { STATUS_CODES } from 'node:http';

function appendFields(head: string, flat: readonly string[]): string {
  let s = head;
  for (let i = 0; i < flat.length; i += 2) {
    s += flat[i]! + ': ' + flat[i + 1]! + '\r\n';
  }
  return s + '\r\n';
}

/** "method target HTTP/1.x\r\n" + fields + "\r\n" as a latin1 string. */
export function requestHeadString(
  method: string,
  target: string,
  headers: readonly string[],
  versionMinor: 0 | 1 = 1,
): string {
  return appendFields(method + ' ' + target + (versionMinor === 1 ? ' HTTP/1.1\r\n' : ' HTTP/1.0\r\n'), headers);
}

/** requestHeadString encoded as one Buffer. */
export function serializeRequestHead(
  method: string,
  target: string,
  headers: readonly string[],
  versionMinor: 0 | 1 = 1,
): Buffer {
  return Buffer.from(requestHeadString(method, target, headers, versionMinor), 'latin1');
}

/** The standard reason phrase for `status`, or "" if it has none. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? '';
}

/**
 * "HTTP/1.x status reason\r\n" + fields + "\r\n" as a latin1 string. `reason` defaults to the
 * standard phrase; it must not contain CR or LF.
 */
export function responseHeadString(
  status: number,
  headers: readonly string[],
  reason: string = reasonPhrase(status),
  versionMinor: 0 | 1 = 1,
): string {
  return appendFields((versionMinor === 1 ? 'HTTP/1.1 ' : 'HTTP/1.0 ') + status + ' ' + reason + '\r\n', headers);
}

/** responseHeadString encoded as one Buffer. */
export function serializeResponseHead(
  status: number,
  headers: readonly string[],
  reason: string = reasonPhrase(status),
  versionMinor: 0 | 1 = 1,
): Buffer {
  return Buffer.from(responseHeadString(status, headers, reason, versionMinor), 'latin1');
}
