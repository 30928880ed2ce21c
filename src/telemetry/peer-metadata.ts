// The metadata-exchange header (`x-weft-peer-metadata`): a sidecar tells its peer which workload
// it fronts, as base64url of compact JSON with the PeerMetadata fields in a fixed order.
// Decoding takes bytes straight from the network: it never throws, bounds every length, and
// returns null for anything that is not exactly a well-formed PeerMetadata.

import type { PeerMetadata } from '../xds/node-metadata.js';

/** Longest accepted header value, in characters. */
export const MAX_PEER_METADATA_HEADER = 4096;
/** Longest accepted field value, in UTF-16 code units. */
export const MAX_PEER_METADATA_FIELD = 256;

const FIELDS = ['workload', 'namespace', 'app', 'version', 'serviceAccount', 'principal', 'cluster'] as const;
/** Sent when set (canonical service labels); a peer without them falls back to app/version. */
const OPTIONAL_FIELDS = ['canonicalService', 'canonicalRevision'] as const;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The header value for `m`. Deterministic (equal metadata gives an equal string), so a proxy
 * encodes its own metadata once and reuses the string. Throws a RangeError if a field is not a
 * string of at most MAX_PEER_METADATA_FIELD characters without control characters, or if the
 * result exceeds MAX_PEER_METADATA_HEADER, since a peer would reject it.
 */
export function encodePeerMetadata(m: PeerMetadata): string {
  const ordered: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = m[f];
    if (!validField(v)) {
      throw new RangeError(
        `peer metadata field ${f} must be a string of at most ${MAX_PEER_METADATA_FIELD} characters ` +
          'without control characters or lone surrogates',
      );
    }
    ordered[f] = v;
  }
  for (const f of OPTIONAL_FIELDS) {
    const v = m[f];
    if (v === undefined || v === '') continue;
    if (!validField(v)) throw new RangeError(`peer metadata field ${f} must be a string of at most ${MAX_PEER_METADATA_FIELD} characters`);
    ordered[f] = v;
  }
  const encoded = Buffer.from(JSON.stringify(ordered), 'utf8').toString('base64url');
  if (encoded.length > MAX_PEER_METADATA_HEADER) {
    throw new RangeError(`encoded peer metadata is ${encoded.length} characters, over ${MAX_PEER_METADATA_HEADER}`);
  }
  return encoded;
}

/** The PeerMetadata in a header value, or null if it is malformed in any way. Never throws. */
export function decodePeerMetadata(s: string): PeerMetadata | null {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_PEER_METADATA_HEADER) return null;
  if (s.length % 4 === 1 || !BASE64URL.test(s)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(Buffer.from(s, 'base64url')));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const o = parsed as Record<string, unknown>;
  const out = {} as PeerMetadata;
  for (const f of FIELDS) {
    const v = Object.hasOwn(o, f) ? o[f] : undefined;
    if (!validField(v)) return null;
    out[f] = v;
  }
  for (const f of OPTIONAL_FIELDS) {
    if (!Object.hasOwn(o, f)) continue;
    const v = o[f];
    if (!validField(v)) return null;
    out[f] = v;
  }
  return out;
}

/**
 * Decodes header values through a bounded cache: a proxy sees the same few peers' headers over
 * and over, so most requests skip base64 and JSON entirely. Results are frozen and shared.
 * Malformed values are not cached (garbage cannot evict real peers); when full, the oldest
 * entry goes.
 */
export class PeerMetadataCache {
  private readonly entries = new Map<string, Readonly<PeerMetadata>>();

  constructor(private readonly maxEntries = 512) {}

  decode(s: string): Readonly<PeerMetadata> | null {
    const hit = this.entries.get(s);
    if (hit !== undefined) return hit;
    const m = decodePeerMetadata(s);
    if (m === null) return null;
    Object.freeze(m);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(s, m);
    return m;
  }

  get size(): number {
    return this.entries.size;
  }
}

function validField(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > MAX_PEER_METADATA_FIELD) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c >= 0xd800 && c <= 0xdfff) {
      // Only a high surrogate followed by a low one; a lone half would not survive UTF-8.
      const next = v.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}
