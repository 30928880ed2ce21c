// TLS passthrough routing (envoy.filters.listener.tls_inspector): the SNI of a ClientHello, read
// from the first bytes of a connection without terminating TLS. Bytes are only peeked: whatever
// was read is handed on and replayed upstream first. Never throws on garbage: anything that is not
// a ClientHello carrying a host_name server_name is "no SNI" (the listener's default chain).
import type net from 'node:net';

/** A TLS record's plaintext may be at most 2^14 bytes; a ClientHello must fit in the first one. */
export const MAX_CLIENT_HELLO_RECORD = 16_384;
const RECORD_HEADER = 5;

/** `alpn`: the ALPN protocol names offered (application_layer_protocol_negotiation), [] if none. */
export type ClientHelloResult = { done: false } | { done: true; sni: string | null; alpn?: string[] };

const NEED_MORE: ClientHelloResult = { done: false };
const NO_SNI: ClientHelloResult = { done: true, sni: null };

/**
 * Looks at the first bytes of a connection: `done: false` while a TLS handshake record has
 * started but is incomplete, else the SNI (lower case, no trailing dot) or null.
 */
export function parseClientHello(buf: Buffer): ClientHelloResult {
  if (buf.length === 0) return NEED_MORE;
  if (buf[0] !== 0x16) return NO_SNI; // not a handshake record
  if (buf.length >= 2 && buf[1] !== 0x03) return NO_SNI; // SSL 3.0 / TLS 1.x record versions only
  if (buf.length < RECORD_HEADER) return NEED_MORE;
  const recordLen = buf.readUInt16BE(3);
  if (recordLen < 4 || recordLen > MAX_CLIENT_HELLO_RECORD) return NO_SNI;
  if (buf.length < RECORD_HEADER + recordLen) return NEED_MORE;
  const body = buf.subarray(RECORD_HEADER, RECORD_HEADER + recordLen);
  if (body[0] !== 0x01) return NO_SNI; // handshake type client_hello
  const hsLen = ((body[1] ?? 0) << 16) | ((body[2] ?? 0) << 8) | (body[3] ?? 0);
  // A ClientHello split over several records is not parsed: no SNI.
  if (4 + hsLen > body.length) return NO_SNI;
  const hello = body.subarray(4, 4 + hsLen);
  const alpn = alpnOf(hello);
  return alpn.length > 0 ? { done: true, sni: sniOf(hello), alpn } : { done: true, sni: sniOf(hello) };
}

/** Bounds-checked cursor over the ClientHello body; every read past the end yields -1. */
class Reader {
  pos = 0;
  constructor(private readonly b: Buffer) {}
  u8(): number {
    return this.pos + 1 <= this.b.length ? (this.b[this.pos++] ?? -1) : -1;
  }
  u16(): number {
    if (this.pos + 2 > this.b.length) return -1;
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  skip(n: number): boolean {
    if (n < 0 || this.pos + n > this.b.length) return false;
    this.pos += n;
    return true;
  }
  take(n: number): Buffer | null {
    if (n < 0 || this.pos + n > this.b.length) return null;
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** The ClientHello's extensions block, or null. */
function extensionsOf(hello: Buffer): Buffer | null {
  const r = new Reader(hello);
  if (!r.skip(2 + 32)) return null; // legacy_version, random
  if (!r.skip(r.u8())) return null; // session id
  if (!r.skip(r.u16())) return null; // cipher suites
  if (!r.skip(r.u8())) return null; // compression methods
  const extLen = r.u16();
  if (extLen < 0) return null; // no extensions
  return r.take(extLen);
}

/** The ALPN names offered (extension 16); [] when absent or malformed. */
function alpnOf(hello: Buffer): string[] {
  const exts = extensionsOf(hello);
  if (!exts) return [];
  const e = new Reader(exts);
  for (;;) {
    const type = e.u16();
    const len = e.u16();
    if (type < 0 || len < 0) return [];
    const data = e.take(len);
    if (!data) return [];
    if (type !== 0x0010) continue;
    const s = new Reader(data);
    const list = s.take(s.u16());
    if (!list) return [];
    const l = new Reader(list);
    const out: string[] = [];
    while (l.pos < list.length) {
      const name = l.take(l.u8());
      if (!name || name.length === 0) return [];
      out.push(name.toString('latin1'));
    }
    return out;
  }
}

function sniOf(hello: Buffer): string | null {
  const r = new Reader(hello);
  if (!r.skip(2 + 32)) return null; // legacy_version, random
  if (!r.skip(r.u8())) return null; // session id
  if (!r.skip(r.u16())) return null; // cipher suites
  if (!r.skip(r.u8())) return null; // compression methods
  const extLen = r.u16();
  if (extLen < 0) return null; // no extensions
  const exts = r.take(extLen);
  if (!exts) return null;
  const e = new Reader(exts);
  for (;;) {
    const type = e.u16();
    const len = e.u16();
    if (type < 0 || len < 0) return null;
    const data = e.take(len);
    if (!data) return null;
    if (type !== 0x0000) continue; // server_name
    const s = new Reader(data);
    const list = s.take(s.u16());
    if (!list) return null;
    const l = new Reader(list);
    for (;;) {
      const nameType = l.u8();
      const name = l.take(l.u16());
      if (nameType < 0 || !name) return null;
      if (nameType !== 0) continue; // host_name
      return normalize(name);
    }
  }
}

function normalize(name: Buffer): string | null {
  let s = name.toString('latin1').toLowerCase();
  if (s.endsWith('.')) s = s.slice(0, -1);
  // Host names only (letters, digits, '-', '_', '.'); anything else is treated as absent.
  return s.length > 0 && s.length <= 253 && /^[a-z0-9_.-]+$/.test(s) ? s : null;
}

/**
 * Reads a connection's first bytes until the ClientHello's SNI is known (or is known to be
 * absent), then calls `done` once with the SNI and the bytes read, the socket paused. A
 * connection that closes first is destroyed and `done` is not called. After `timeoutMs` without
 * a decision the SNI counts as absent.
 */
export function peekSni(sock: net.Socket, timeoutMs: number, done: (sni: string | null, head: Buffer, alpn: string[]) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  let finished = false;
  let alpn: string[] = [];
  const finish = (sni: string | null): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    sock.off('data', onData);
    sock.off('end', onGone);
    sock.off('close', onGone);
    sock.pause();
    done(sni, buf, alpn);
  };
  const onData = (d: Buffer): void => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    const r = parseClientHello(buf);
    if (r.done) {
      alpn = r.alpn ?? [];
      finish(r.sni);
    }
    else if (buf.length >= RECORD_HEADER + MAX_CLIENT_HELLO_RECORD) finish(null);
  };
  const onGone = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    sock.off('data', onData);
    sock.destroy();
  };
  const timer = setTimeout(() => finish(null), timeoutMs);
  sock.on('data', onData);
  sock.once('end', onGone);
  sock.once('close', onGone);
  sock.on('error', () => sock.destroy());
  sock.resume();
}

/** Envoy's server_names matching: an exact name first, then the longest "*.suffix" wildcard. */
export function matchServerName<T extends { serverNames: readonly string[] }>(chains: readonly T[], sni: string | null): T | undefined {
  if (sni === null) return undefined;
  const exact = chains.find((c) => c.serverNames.includes(sni));
  if (exact) return exact;
  for (let i = sni.indexOf('.'); i >= 0; i = sni.indexOf('.', i + 1)) {
    const wildcard = `*${sni.slice(i)}`;
    const hit = chains.find((c) => c.serverNames.includes(wildcard));
    if (hit) return hit;
  }
  return undefined;
}
