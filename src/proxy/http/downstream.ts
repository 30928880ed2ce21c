// The HTTP/1.1 connection manager for one downstream connection: parses requests strictly, runs
// one exchange at a time (pipelined requests wait their turn), streams bodies both ways with
// backpressure and never buffers a body whole.
import type net from 'node:net';
import { parseRequestHead, type RequestHead } from './codec/h1/request-parser.js';
import { ChunkedDecoder, CRLF, LAST_CHUNK, chunkHeader } from './codec/h1/chunked.js';
import { CodecError } from './codec/h1/errors.js';
import { reasonPhrase } from './codec/h1/serialize.js';
import { localReply, type ProxyError } from '../errors.js';
import type { HcmContext } from './context.js';
import { Exchange } from './exchange.js';

const S_HEAD = 0;
const S_BODY_LENGTH = 1;
const S_BODY_CHUNKED = 2;
/** Request fully read; the response may still be streaming. */
const S_DONE = 3;
const S_CLOSED = 4;

/** Pipelined bytes we hold while an exchange runs before pausing the socket. */
const MAX_PENDING = 64 * 1024;

export class DownstreamConnection {
  private state = S_HEAD;
  private pending: Buffer | null = null;
  private remaining = 0;
  private readonly chunked = new ChunkedDecoder({ errorStatus: 400 });
  private exchange: Exchange | null = null;
  readonly remoteAddress: string;

  constructor(
    readonly socket: net.Socket,
    private readonly ctx: () => HcmContext,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.onClose());
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.exchange?.onDownstreamDrain());
    const c = ctx();
    c.stats.downstreamCxActive++;
    c.stats.downstreamCxTotal++;
  }

  private onClose(): void {
    if (this.state === S_CLOSED) return;
    this.state = S_CLOSED;
    this.ctx().stats.downstreamCxActive--;
    const ex = this.exchange;
    this.exchange = null;
    ex?.onDownstreamClosed();
  }

  private onData(chunk: Buffer): void {
    if (this.state === S_CLOSED) return;
    if (this.state === S_DONE) {
      // Pipelined request bytes: keep them until the current exchange finishes.
      this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      if (this.pending.length > MAX_PENDING) this.socket.pause();
      return;
    }
    if (this.state === S_HEAD) {
      const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      this.pending = null;
      this.parseFrom(buf, 0);
      return;
    }
    this.onBodyBytes(chunk, 0);
  }

  /** Parses a request head at buf[pos]; continues into its body with what follows. */
  private parseFrom(buf: Buffer, pos: number): void {
    if (pos >= buf.length) return;
    let head: RequestHead | null;
    try {
      head = parseRequestHead(buf, pos);
    } catch (err) {
      const status = err instanceof CodecError ? err.status : 400;
      this.protocolError(status, err instanceof Error ? err.message : 'bad request');
      return;
    }
    if (head === null) {
      this.pending = pos === 0 ? buf : buf.subarray(pos);
      return;
    }
    pos += head.headBytes;
    if (head.chunked) {
      this.state = S_BODY_CHUNKED;
      this.chunked.reset();
    } else if (head.contentLength > 0) {
      this.state = S_BODY_LENGTH;
      this.remaining = head.contentLength;
    } else {
      this.state = S_DONE;
    }
    const ex = new Exchange(this, this.ctx(), head);
    this.exchange = ex;
    ex.start();
    if (this.state === S_DONE) {
      if (pos < buf.length) this.pending = buf.subarray(pos);
      return;
    }
    if (pos < buf.length) this.onBodyBytes(buf, pos);
  }

  private onBodyBytes(buf: Buffer, pos: number): void {
    const ex = this.exchange;
    if (this.state === S_BODY_LENGTH) {
      const avail = buf.length - pos;
      const take = Math.min(avail, this.remaining);
      this.remaining -= take;
      const data = pos === 0 && take === buf.length ? buf : buf.subarray(pos, pos + take);
      if (ex && take > 0) ex.onRequestBody(data);
      if (this.remaining === 0) {
        this.state = S_DONE;
        ex?.onRequestEnd();
        if (pos + take < buf.length) this.pending = buf.subarray(pos + take);
      }
      return;
    }
    if (this.state === S_BODY_CHUNKED) {
      let consumed: number;
      try {
        consumed = this.chunked.decode(pos === 0 ? buf : buf.subarray(pos), (slice) => ex?.onRequestBody(slice));
      } catch (err) {
        this.protocolError(400, err instanceof Error ? err.message : 'bad chunked body');
        return;
      }
      if (this.chunked.done) {
        this.state = S_DONE;
        ex?.onRequestEnd();
        const next = pos + consumed;
        if (next < buf.length) this.pending = buf.subarray(next);
      }
    }
  }

  /** Malformed request: answer with the codec's status, close, never forward. */
  private protocolError(status: number, detail: string): void {
    const ex = this.exchange;
    if (ex && ex.responseStarted) {
      this.socket.destroy();
      return;
    }
    if (ex) ex.abortForProtocolError();
    const ctx = this.ctx();
    ctx.stats.byFlag.set('DPE', (ctx.stats.byFlag.get('DPE') ?? 0) + 1);
    // Rejected requests count too, so an operator sees malformed traffic in istio_requests_total.
    const inbound = ctx.listener.direction === 'INBOUND';
    ctx.metrics.record({
      reporter: inbound ? 'destination' : 'source',
      source: inbound ? null : ctx.self,
      destination: inbound ? ctx.self : null,
      destinationService: null,
      requestProtocol: 'http',
      responseCode: status,
      responseFlags: 'DPE',
      connectionSecurityPolicy: inbound ? 'none' : 'unknown',
      durationMs: 0,
      requestBytes: 0,
      responseBytes: 0,
    });
    const body = status === 431 ? 'Request Header Fields Too Large' : reasonPhrase(status) || 'Bad Request';
    void detail;
    this.socket.end(
      `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${body}`,
    );
    this.state = S_CLOSED;
    this.ctx().stats.downstreamCxActive--;
    this.exchange = null;
  }

  // ---- called by the exchange ----------------------------------------------------------------

  /** Strings are written as latin1: header bytes were decoded that way and must round-trip. */
  write(data: Buffer | string): boolean {
    if (this.state === S_CLOSED) return true;
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    if (this.state !== S_CLOSED) this.socket.resume();
  }

  get requestComplete(): boolean {
    return this.state === S_DONE;
  }

  /** The exchange finished writing its response. Continue with the next request or close. */
  exchangeDone(keepAlive: boolean): void {
    this.exchange = null;
    if (this.state === S_CLOSED) return;
    if (!keepAlive || this.state !== S_DONE) {
      // Either side asked to close, or the request body was not fully read (we cannot resync).
      this.state = S_CLOSED;
      this.ctx().stats.downstreamCxActive--;
      this.socket.end();
      return;
    }
    this.state = S_HEAD;
    const p = this.pending;
    this.pending = null;
    if (this.socket.isPaused()) this.socket.resume();
    if (p) this.parseFrom(p, 0);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Leaves the HTTP loop for a tunnel (WebSocket after 101): the socket and any bytes read past the request. */
  takeSocket(): { socket: net.Socket; pending: Buffer | null } {
    const pending = this.pending;
    this.pending = null;
    this.exchange = null;
    if (this.state !== S_CLOSED) this.ctx().stats.downstreamCxActive--;
    this.state = S_CLOSED; // our listeners stay attached but ignore everything from now on
    return { socket: this.socket, pending };
  }

  /** Draining: closes the connection if it sits between requests; true if it did (or was closed). */
  closeIfIdle(): boolean {
    if (this.state === S_CLOSED) return true;
    if (this.state !== S_HEAD || this.exchange !== null || this.pending !== null) return false;
    this.onClose();
    this.socket.end();
    return true;
  }

  /** Sends a locally generated response (no upstream involved). */
  writeLocalReply(err: ProxyError, keepAlive: boolean, extraHeaders = ''): number {
    const r = localReply(err);
    const body = r.body;
    for (const [k, v] of Object.entries(r.headers ?? {})) extraHeaders += `${k}: ${v}\r\n`;
    this.write(
      `HTTP/1.1 ${r.status} ${reasonPhrase(r.status)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncontent-type: text/plain\r\n${extraHeaders}${keepAlive ? '' : 'connection: close\r\n'}\r\n${body}`,
    );
    return r.status;
  }
}

export { CRLF, LAST_CHUNK, chunkHeader };
