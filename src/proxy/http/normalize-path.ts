// Request path normalization, as Envoy's HTTP connection manager does it before filters and
// routing (normalize_path, merge_slashes, path_with_escaped_slashes_action). The result is the
// path routed, authorized (RBAC) and forwarded. Order, as Envoy: escaped slashes, then RFC 3986
// normalization, then merging slashes.
//   normalize:  every %XX must be well formed and not %00 (else invalid); %-encoded unreserved
//               characters are decoded (%2e → "."), other escapes kept with upper-case hex;
//               "\" becomes "/"; "." and ".." segments are removed (never above the root).
//   merge:      runs of "/" become one.
//   escaped slashes (%2F, %5C): KEEP_UNCHANGED, REJECT_REQUEST (invalid), UNESCAPE_AND_FORWARD
//               (decoded before normalization, so "/a%2F..%2Fb" becomes "/b").
// A request target with a fragment ("#") is invalid, as in Envoy. Invalid → 400.

export type EscapedSlashesAction = 'KEEP_UNCHANGED' | 'REJECT_REQUEST' | 'UNESCAPE_AND_FORWARD';

export interface PathNormalizationConfig {
  normalize: boolean;
  mergeSlashes: boolean;
  escapedSlashes: EscapedSlashesAction;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Decodes %-escapes of unreserved characters; undefined when an escape is malformed or NUL. */
function decodeUnreserved(p: string): string | undefined {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = p.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    const code = parseInt(hex, 16);
    if (code === 0) return undefined;
    const ch = String.fromCharCode(code);
    out += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/** RFC 3986 section 5.2.4 on an absolute path. */
export function removeDotSegments(p: string): string {
  const segs = p.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    const last = i === segs.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else out.push(s);
  }
  return `/${out.join('/')}`;
}

/** The normalized path (no query), or undefined when the request must be refused with 400. */
export function normalizePath(path: string, cfg: PathNormalizationConfig): string | undefined {
  let p = path;
  if (p.includes('#')) return undefined;
  if (cfg.escapedSlashes !== 'KEEP_UNCHANGED' && /%(2f|5c)/i.test(p)) {
    if (cfg.escapedSlashes === 'REJECT_REQUEST') return undefined;
    p = p.replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
  }
  if (cfg.normalize && /[%\\.]/.test(p)) {
    const decoded = decodeUnreserved(p);
    if (decoded === undefined) return undefined;
    p = removeDotSegments(decoded.replace(/\\/g, '/'));
  }
  if (cfg.mergeSlashes && p.includes('//')) p = p.replace(/\/{2,}/g, '/');
  return p;
}
