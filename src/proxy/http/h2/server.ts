// Downstream h2c with prior knowledge: a new connection whose first bytes are the HTTP/2 client
// preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") is handed to a node:http2 server session; every
// stream on it runs through the same Exchange (routing, clusters, retries, telemetry) as HTTP/1.1.
// Anything else goes to the HTTP/1.1 connection manager with the bytes read so far put back.
import http2 from 'node:http2';
import type net from 'node:net';
import type { HcmContext } from '../context.js';
import { H2DownstreamStream } from './downstream-stream.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Reads until the first bytes tell the protocol, puts them back, and calls `h2` or `h1` with the
 * socket paused (the handler resumes it once it listens for data). A connection that closes
 * before saying anything goes to `h1`, which sees the close.
 */
export function sniffProtocol(socket: net.Socket, h1: (socket: net.Socket) => void, h2: (socket: net.Socket) => void): void {
  let seen: Buffer | null = null;
  const decide = (isH2: boolean): void => {
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('error', onError);
    socket.pause();
    if (seen) socket.unshift(seen);
    if (isH2) h2(socket);
    else h1(socket);
  };
  const onData = (chunk: Buffer): void => {
    seen = seen ? Buffer.concat([seen, chunk]) : chunk;
    const n = Math.min(seen.length, PREFACE.length);
    if (seen.compare(PREFACE, 0, n, 0, n) !== 0) decide(false);
    else if (n === PREFACE.length) decide(true);
  };
  const onEnd = (): void => decide(false);
  // A reset before the first bytes: nothing to serve (the socket closes by itself).
  const onError = (): void => {};
  socket.on('error', onError);
  socket.on('data', onData);
  socket.once('end', onEnd);
}

export interface H2Connection {
  /** Drain: asks the client to stop (GOAWAY); true once nothing is in flight. */
  closeIfIdle(): boolean;
}

/** Serves one h2c connection; each stream gets the listener's current context. */
export function serveH2(socket: net.Socket, ctx: () => HcmContext): H2Connection {
  const server = http2.createServer({ settings: { enablePush: false } });
  let session: http2.ServerHttp2Session | null = null;
  server.on('session', (s: http2.ServerHttp2Session) => {
    session = s;
    s.on('error', () => {});
  });
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number) => {
    const c = ctx();
    if (c.draining() && session && !session.closed) session.close();
    new H2DownstreamStream(stream, headers, flags, c);
  });
  const stats = ctx().stats;
  stats.downstreamCxActive++;
  stats.downstreamCxTotal++;
  socket.once('close', () => {
    stats.downstreamCxActive--;
  });
  socket.setNoDelay(true);
  // The session reads the bytes the sniffer put back from the socket's buffer on the next tick;
  // the socket stays paused so they are not emitted as 'data' before that.
  server.emit('connection', socket);
  return {
    closeIfIdle(): boolean {
      const s = session as http2.ServerHttp2Session | null;
      if (!s || s.closed || s.destroyed) return true;
      s.close();
      return false;
    },
  };
}
