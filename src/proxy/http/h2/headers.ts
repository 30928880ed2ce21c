// Header conversion between the HTTP/1.1 shape the Exchange works in (flat lower-cased
// [name, value, ...] lists) and node:http2 header objects. HTTP/2 forbids connection-specific
// headers (RFC 9113 §8.2.2): they are dropped both ways; `te` survives only as "trailers".
import type http2 from 'node:http2';
import { getHeader } from '../codec/h1/headers.js';

const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** True for a gRPC content type (application/grpc, application/grpc+proto, ...). */
export function isGrpcContentType(value: string | undefined): boolean {
  return value !== undefined && value.startsWith('application/grpc');
}

/** Flat h1 fields → an h2 header object (values of repeated names joined as node does). */
export function toH2Headers(flat: readonly string[], into: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    if (CONNECTION_SPECIFIC.has(name)) continue;
    if (name === 'te') {
      if (value.toLowerCase().split(',').some((t) => t.trim() === 'trailers')) into.te = 'trailers';
      continue;
    }
    const prev = into[name];
    if (prev === undefined) into[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else into[name] = [String(prev), value];
  }
  return into;
}

/** An h2 header object → flat h1 fields, pseudo-headers and connection-specific ones left out. */
export function fromH2Headers(h: http2.IncomingHttpHeaders | Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const name of Object.keys(h)) {
    if (name.charCodeAt(0) === 58 /* ':' */ || CONNECTION_SPECIFIC.has(name)) continue;
    const v = (h as Record<string, unknown>)[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(name, String(x));
    else out.push(name, String(v));
  }
  return out;
}

/** First value of a header in a flat list (the codec's lookup). */
export const headerOf = getHeader;
