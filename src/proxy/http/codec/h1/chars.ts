/**
 * Byte classification tables and the latin1 slice helper shared by the HTTP/1.1 parsers.
 * Tables are indexed by byte value so the hot loops do one load per byte and no branches on
 * character ranges.
 */

export const HTAB = 9;
export const LF = 10;
export const CR = 13;
export const SP = 32;
export const COLON = 58;
export const SEMI = 59;
export const EQUALS = 61;
export const DQUOTE = 34;
export const BACKSLASH = 92;
export const COMMA = 44;

function table(pred: (b: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) if (pred(b)) t[b] = 1;
  return t;
}

function isAlnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/** RFC 9110 tchar. */
export const TOKEN = table((b) => isAlnum(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)));

/** RFC 9110 field-vchar / SP / HTAB (obs-text allowed, DEL and other controls not). */
export const FIELD_VALUE = table((b) => b === HTAB || (b >= 0x20 && b !== 0x7f));

/** Bytes allowed in a request-target: VCHAR only (no controls, space, DEL or non-ASCII). */
export const TARGET = table((b) => b > 0x20 && b < 0x7f);

/** Bytes allowed in a Host value: uri-host (reg-name, IPv4, IP-literal) and ":" port. */
export const HOST = table((b) => isAlnum(b) || "-._~!$&'()*+,;=%:[]".includes(String.fromCharCode(b)));

/** Reason-phrase bytes: HTAB / SP / VCHAR / obs-text. */
export const REASON = FIELD_VALUE;

/** Hex digit value or -1. */
export const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/**
 * Decode buf[start, end) as latin1 without the argument normalisation of Buffer#toString.
 * Callers guarantee 0 <= start <= end <= buf.length.
 */
export const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Partial<Latin1Buffer>).latin1Slice === 'function'
    ? (buf, start, end) => (buf as Latin1Buffer).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

/** True when every char of s is a tchar (and s is non-empty). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TOKEN[c] !== 1) return false;
  }
  return true;
}
