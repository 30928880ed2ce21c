// TCP metadata exchange between sidecars (Istio's `istio-peer-exchange` ALPN). When a mesh mTLS
// connection of a tcp_proxy negotiates that ALPN, each side first writes one frame with its
// workload metadata, before any application byte, and reads the peer's:
//
//   magic 0x3D230467 (uint32 BE) | payload length (uint32 BE) | payload
//
// The layout follows Istio's initial header (magic + length); the payload is ours: the
// peer-metadata codec's string (../../telemetry/peer-metadata.ts, base64url JSON), at most
// MAX_PEER_METADATA_HEADER bytes. Both sides write at once and then read, so no side waits on the
// other (server-first protocols work). Reading is bounded in bytes and time and never throws:
//   - a well-formed frame → the peer's metadata, bytes after it are application bytes;
//   - bytes that do not start with the magic, or announce a payload over the bound → no peer, and
//     every byte read so far is handed back as application data (nothing is lost);
//   - a frame whose payload does not decode → no peer (the frame is consumed);
//   - nothing (or a partial frame) before the timeout, or the socket ends → no peer, bytes back.
// Only the caller decides whether the connection is verified mTLS (the peer's metadata is
// believed only then).
import type net from 'node:net';
import type tls from 'node:tls';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import { decodePeerMetadata, encodePeerMetadata, MAX_PEER_METADATA_HEADER } from '../../telemetry/peer-metadata.js';

export const PEER_EXCHANGE_ALPN = 'istio-peer-exchange';
export const PEER_EXCHANGE_MAGIC = 0x3d230467;
const HEADER_BYTES = 8;
/** How long a side waits for the peer's frame (the peer writes it as soon as TLS is up). */
export const PEER_EXCHANGE_TIMEOUT_MS = 5_000;

/** True when the socket is TLS and negotiated the metadata-exchange ALPN. */
export function negotiatedPeerExchange(socket: net.Socket): boolean {
  return (socket as Partial<tls.TLSSocket>).alpnProtocol === PEER_EXCHANGE_ALPN;
}

const frames = new WeakMap<PeerMetadata, Buffer>();

/** The frame announcing `self` (encoded once per metadata object). */
export function peerExchangeFrame(self: PeerMetadata): Buffer {
  let f = frames.get(self);
  if (f) return f;
  const payload = Buffer.from(encodePeerMetadata(self), 'utf8');
  f = Buffer.alloc(HEADER_BYTES + payload.length);
  f.writeUInt32BE(PEER_EXCHANGE_MAGIC, 0);
  f.writeUInt32BE(payload.length, 4);
  payload.copy(f, HEADER_BYTES);
  frames.set(self, f);
  return f;
}

export type FrameParse =
  | { kind: 'need-more' }
  | { kind: 'peer'; peer: PeerMetadata | null; rest: Buffer }
  | { kind: 'not-a-frame' };

/** Parses the bytes read so far. Pure; never throws. */
export function parsePeerFrame(buf: Buffer): FrameParse {
  const magicBytes = Math.min(buf.length, 4);
  const magic = Buffer.alloc(4);
  magic.writeUInt32BE(PEER_EXCHANGE_MAGIC, 0);
  if (!buf.subarray(0, magicBytes).equals(magic.subarray(0, magicBytes))) return { kind: 'not-a-frame' };
  if (buf.length < HEADER_BYTES) return { kind: 'need-more' };
  const len = buf.readUInt32BE(4);
  if (len > MAX_PEER_METADATA_HEADER) return { kind: 'not-a-frame' };
  if (buf.length < HEADER_BYTES + len) return { kind: 'need-more' };
  const payload = buf.subarray(HEADER_BYTES, HEADER_BYTES + len);
  const peer = decodePeerMetadata(payload.toString('latin1'));
  return { kind: 'peer', peer, rest: Buffer.from(buf.subarray(HEADER_BYTES + len)) };
}

export interface PeerExchangeResult {
  /** The peer's metadata, or null (no frame, malformed, timeout). */
  peer: PeerMetadata | null;
  /** Application bytes already read from the socket, to forward first (may be empty). */
  head: Buffer;
  /** The peer half-closed before a whole frame came (its 'end' was emitted: socket.readableEnded). */
  ended: boolean;
  /** The socket closed during the exchange. */
  closed: boolean;
}

/**
 * Writes our frame, then reads the peer's. `done` runs exactly once, with the socket paused and
 * the exchange's listeners removed.
 */
export function exchangePeerMetadata(
  socket: net.Socket,
  self: PeerMetadata,
  done: (r: PeerExchangeResult) => void,
  timeoutMs = PEER_EXCHANGE_TIMEOUT_MS,
): void {
  let settled = false;
  let buf: Buffer = Buffer.alloc(0);
  const finish = (peer: PeerMetadata | null, head: Buffer, ended: boolean, closed: boolean): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    socket.pause();
    done({ peer, head, ended, closed });
  };
  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const r = parsePeerFrame(buf);
    if (r.kind === 'need-more') return;
    if (r.kind === 'not-a-frame') finish(null, buf, false, false);
    else finish(r.peer, r.rest, false, false);
  };
  const onEnd = (): void => finish(null, buf, true, false);
  const onClose = (): void => finish(null, buf, false, true);
  const timer = setTimeout(() => finish(null, buf, false, false), timeoutMs);
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('close', onClose);
  if (!socket.destroyed && !socket.writableEnded) socket.write(peerExchangeFrame(self));
  socket.resume();
}

const withPrincipal = new Map<string, PeerMetadata>();

/** `peer` with the principal a verified mTLS certificate proved (the frame's own is ignored). */
export function exchangedPeer(peer: PeerMetadata, spiffeId: string): PeerMetadata {
  const key = `${JSON.stringify(peer)}\u0001${spiffeId}`;
  let p = withPrincipal.get(key);
  if (!p) {
    if (withPrincipal.size > 10_000) withPrincipal.clear();
    p = { ...peer, principal: spiffeId };
    withPrincipal.set(key, p);
  }
  return p;
}
