// X.509-SVID checks on a peer's leaf certificate, after OpenSSL verified the chain to the trust
// bundle during the handshake (expiry and not-yet-valid included): exactly one URI SAN, a
// well-formed spiffe:// ID (no NUL, control or non-ASCII bytes, no query or fragment), the
// leaf is not a CA, the validity window holds now, and the ID matches what the config expects
// (Envoy's match_subject_alt_names: exact / prefix). Parsing is @peculiar/x509; nothing here is
// hand-written crypto.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** One entry of match_subject_alt_names (only exact and prefix are emitted for SPIFFE IDs). */
export interface SanMatcher {
  kind: 'exact' | 'prefix';
  value: string;
}

export type SpiffeResult = { ok: true; spiffeId: string } | { ok: false; reason: string };

/** spiffe://<trust-domain>/<path>: trust domain lower-case [a-z0-9.-_], path segments of printable ASCII. */
const SPIFFE_RE = /^spiffe:\/\/([a-z0-9._-]+)(\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?$/;

export function parseSpiffeId(s: string): { trustDomain: string; path: string } | null {
  const m = SPIFFE_RE.exec(s);
  if (!m || !m[1]) return null;
  const path = m[2] ?? '';
  if (path.includes('//') || path.endsWith('/') || path.split('/').some((seg) => seg === '.' || seg === '..')) return null;
  return { trustDomain: m[1], path };
}

/** Has any byte outside printable ASCII (NUL, controls, DEL, non-ASCII)? */
function badBytes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return true;
  }
  return false;
}

export function matchesSan(id: string, matchers: readonly SanMatcher[]): boolean {
  if (matchers.length === 0) return true;
  return matchers.some((m) => (m.kind === 'exact' ? id === m.value : id.startsWith(m.value)));
}

/** Parsed certificates by DER (peers reuse one SVID for many connections): parsing costs ~ms. */
interface Parsed {
  notBefore: Date;
  notAfter: Date;
  byMatchers: Map<string, SpiffeResult>;
  cert: x509.X509Certificate;
}
const cache = new Map<string, Parsed>();

/**
 * Checks a peer leaf (DER). `matchers` empty: any well-formed SPIFFE ID passes. The structure
 * checks are cached per certificate and matcher set; validity time is checked on every call.
 */
export function verifySvid(der: Buffer, matchers: readonly SanMatcher[], now: Date = new Date()): SpiffeResult {
  const key = der.toString('base64');
  let p = cache.get(key);
  if (!p) {
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(der);
    } catch (err) {
      return { ok: false, reason: `peer certificate does not parse: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (cache.size > 1000) cache.clear();
    p = { notBefore: cert.notBefore, notAfter: cert.notAfter, byMatchers: new Map(), cert };
    cache.set(key, p);
  }
  if (now < p.notBefore) return { ok: false, reason: 'peer certificate is not yet valid' };
  if (now > p.notAfter) return { ok: false, reason: 'peer certificate has expired' };
  const mk = matchers.map((m) => `${m.kind}:${m.value}`).join(',');
  let r = p.byMatchers.get(mk);
  if (!r) {
    r = structure(p.cert, matchers);
    if (p.byMatchers.size > 64) p.byMatchers.clear();
    p.byMatchers.set(mk, r);
  }
  return r;
}

function structure(cert: x509.X509Certificate, matchers: readonly SanMatcher[]): SpiffeResult {
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (bc?.ca) return { ok: false, reason: 'peer leaf certificate is a CA (basicConstraints CA=true)' };
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.items ?? [];
  const uris = names.filter((n) => n.type === 'url');
  if (uris.length === 0) {
    const dns = names.some((n) => n.type === 'dns' && n.value.startsWith('spiffe://'));
    return { ok: false, reason: dns ? 'peer SPIFFE ID is a DNS SAN, not a URI SAN' : 'peer certificate has no URI SAN' };
  }
  if (uris.length > 1) return { ok: false, reason: `peer certificate has ${uris.length} URI SANs; an X.509-SVID has exactly one` };
  const id = uris[0]!.value;
  if (badBytes(id)) return { ok: false, reason: 'peer URI SAN contains NUL, control or non-ASCII bytes' };
  if (!parseSpiffeId(id)) return { ok: false, reason: `peer URI SAN ${JSON.stringify(id)} is not a SPIFFE ID` };
  if (!matchesSan(id, matchers)) {
    return { ok: false, reason: `peer SPIFFE ID ${id} does not match ${matchers.map((m) => (m.kind === 'prefix' ? `${m.value}*` : m.value)).join(' | ')}` };
  }
  return { ok: true, spiffeId: id };
}

/** Istio's principal form: the SPIFFE ID without "spiffe://". */
export function principalOf(spiffeId: string): string {
  return spiffeId.startsWith('spiffe://') ? spiffeId.slice('spiffe://'.length) : spiffeId;
}
