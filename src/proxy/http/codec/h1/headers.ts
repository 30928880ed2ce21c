/**
 * Helpers over the flat header list ([name0, value0, name1, value1, ...], names lower-case)
 * that the parsers produce and the serializers consume.
 */

import { FIELD_VALUE, TOKEN, isToken } from './chars.js';

export { TOKEN, isToken };

/** RFC 9110 7.6.1 hop-by-hop fields, plus the de-facto ones proxies strip. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * Fields a Connection header may not nominate for removal. Dropping Host would change routing
 * upstream, and dropping Content-Length would make the forwarded message's framing disagree
 * with the body we actually send (a request-smuggling primitive).
 */
export const NOT_NOMINATABLE: ReadonlySet<string> = new Set(['host', 'content-length']);

/** First value of `name` (lower-case), or undefined. */
export function getHeader(flat: readonly string[], name: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === name) return flat[i + 1];
  }
  return undefined;
}

/** Every value of `name` (lower-case), in order. */
export function getHeaderAll(flat: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === name) out.push(flat[i + 1]!);
  }
  return out;
}

/** True if any field named `name` (lower-case) is present. */
export function hasHeader(flat: readonly string[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === name) return true;
  }
  return false;
}

/**
 * A new flat list without hop-by-hop fields and without the fields the message's Connection
 * header nominated (`connectionTokens`, lower-case), except those in NOT_NOMINATABLE.
 */
export function removeHopByHop(flat: readonly string[], connectionTokens: readonly string[]): string[] {
  const out: string[] = [];
  const nominated = connectionTokens.length > 0;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    if (HOP_BY_HOP.has(name)) continue;
    if (nominated && connectionTokens.includes(name) && !NOT_NOMINATABLE.has(name)) continue;
    out.push(name, flat[i + 1]!);
  }
  return out;
}

/** Whether `name` may be sent as a field name (a token). */
export function isValidHeaderName(name: string): boolean {
  return isToken(name);
}

/**
 * Whether `value` may be sent as a field value: no control characters other than HTAB, nothing
 * above 0xFF, and no leading or trailing whitespace. Filters that copy untrusted data into
 * headers must check this (the serializers do not, to stay fast for parsed headers).
 */
export function isValidHeaderValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE[c] !== 1) return false;
  }
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  return first !== 0x20 && first !== 0x09 && last !== 0x20 && last !== 0x09;
}
