/**
 * Returns a shared string for well-known byte sequences (methods, header names) so the hot path
 * neither allocates nor lower-cases them. Lookup is bucketed by length and compares bytes.
 */

interface Entry {
  readonly value: string;
  readonly bytes: Uint8Array;
}

export class Interner {
  private readonly buckets: (Entry[] | undefined)[] = [];

  /**
   * @param words strings to intern (already in their canonical form; lower-case when
   *   `foldCase` is set)
   * @param foldCase match ASCII letters case-insensitively. Only sound when the caller has
   *   already checked the bytes are RFC 9110 token chars, since `| 0x20` also folds some
   *   control and punctuation bytes onto letters, digits and '-'.
   */
  constructor(
    words: readonly string[],
    private readonly foldCase: boolean,
  ) {
    for (const w of words) {
      const bytes = Uint8Array.from(w, (ch) => ch.charCodeAt(0));
      const bucket = (this.buckets[w.length] ??= []);
      bucket.push({ value: w, bytes });
    }
  }

  /** The interned string equal to buf[start, end), or undefined. */
  lookup(buf: Buffer, start: number, end: number): string | undefined {
    const len = end - start;
    if (len >= this.buckets.length) return undefined;
    const bucket = this.buckets[len];
    if (bucket === undefined) return undefined;
    const fold = this.foldCase ? 0x20 : 0;
    for (let k = 0; k < bucket.length; k++) {
      const e = bucket[k]!;
      const b = e.bytes;
      let i = 0;
      while (i < len && (buf[start + i]! | fold) === b[i]) i++;
      if (i === len) return e.value;
    }
    return undefined;
  }
}

const METHODS = new Interner(
  ['GET', 'PUT', 'POST', 'HEAD', 'PATCH', 'TRACE', 'DELETE', 'OPTIONS', 'CONNECT'],
  false,
);

const FIELD_NAMES = new Interner(
  [
    'host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'accept-ranges',
    'content-length', 'content-type', 'content-encoding', 'connection', 'keep-alive',
    'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'cookie', 'set-cookie',
    'authorization', 'cache-control', 'pragma', 'date', 'server', 'location', 'etag', 'vary',
    'referer', 'origin', 'if-none-match', 'if-modified-since', 'last-modified', 'expires', 'age',
    'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'x-real-ip',
    'traceparent', 'tracestate', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid',
    'x-b3-sampled', 'b3', 'grpc-timeout', 'via', 'forwarded', 'proxy-connection',
    'proxy-authorization', 'proxy-authenticate', 'www-authenticate', 'range', 'content-range',
    'access-control-allow-origin', 'strict-transport-security', 'x-content-type-options',
    'x-envoy-upstream-service-time', 'x-weft-peer-metadata',
  ],
  true,
);

/*
 * The functions below take the bytes and also `text`, the latin1 decoding of buf starting at
 * index `base`: slicing that string is much cheaper than one native decode per field.
 */

/** The method in buf[start, end) (already validated as a token), interned when well known. */
export function methodString(buf: Buffer, start: number, end: number, text: string, base: number): string {
  return METHODS.lookup(buf, start, end) ?? text.slice(start - base, end - base);
}

/**
 * The lower-cased field name in buf[start, end) (already validated as a token).
 * @param hasUpper whether the bytes contain an upper-case ASCII letter
 */
export function fieldNameString(
  buf: Buffer,
  start: number,
  end: number,
  hasUpper: boolean,
  text: string,
  base: number,
): string {
  const known = FIELD_NAMES.lookup(buf, start, end);
  if (known !== undefined) return known;
  const s = text.slice(start - base, end - base);
  return hasUpper ? s.toLowerCase() : s;
}
