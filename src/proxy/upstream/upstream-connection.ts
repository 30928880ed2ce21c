// One HTTP/1.1 connection to an upstream host: writes a request, parses the response strictly and
// streams its body to whoever owns the connection for that exchange. Reused when both sides agree.
import type net from 'node:net';
import { parseResponseHead, responseHasBody, type ResponseHead } from '../http/codec/h1/response-parser.js';
import { ChunkedDecoder } from '../http/codec/h1/chunked.js';
import { CodecError } from '../http/codec/h1/errors.js';
import { ProxyError } from '../errors.js';
import type { Host } from './host.js';
import { connectFailureReason, upstreamTls } from '../security/upstream-tls.js';

export interface ResponseSink {
  /** Request method, to know whether the response has a body (HEAD). */
  readonly method: string;
  onInformational(head: ResponseHead): void;
  onHead(head: ResponseHead): void;
  /** Returns false to ask for backpressure: the connection pauses until resume(). */
  onBody(data: Buffer): boolean;
  onEnd(trailers: string[]): void;
  onError(err: ProxyError, beforeHead: boolean): void;
  /** Brackets the handling of one read from the upstream, so the sink can batch its writes. */
  batchStart(): void;
  batchEnd(): void;
}

const B_NONE = 0;
const B_LENGTH = 1;
const B_CHUNKED = 2;
const B_UNTIL_CLOSE = 3;

export class UpstreamConnection {
  readonly socket: net.Socket;
  private sink: ResponseSink | null = null;
  private pending: Buffer | null = null;
  private head: ResponseHead | null = null;
  private bodyMode = B_NONE;
  private remaining = 0;
  private readonly chunked = new ChunkedDecoder({ errorStatus: 502 });
  private reusable = true;
  /** True once the exchange's request has been fully written. */
  requestDone = false;
  /** Number of exchanges this connection has carried. */
  uses = 0;
  closed = false;
  connected = false;
  onRelease: ((c: UpstreamConnection, reusable: boolean) => void) | null = null;

  constructor(
    readonly host: Host,
    connectTimeoutMs: number,
    onConnect: (err: ProxyError | null) => void,
  ) {
    // Plaintext or TLS by the host's transport (../security/upstream-tls.ts).
    const { socket, ready } = upstreamTls.open(host);
    this.socket = socket;
    let timer: NodeJS.Timeout | null = setTimeout(() => {
      timer = null;
      socket.destroy();
      onConnect(new ProxyError('UF', 'connect timeout'));
    }, connectTimeoutMs);
    socket.once(ready, () => {
      if (timer) clearTimeout(timer);
      timer = null;
      this.connected = true;
      onConnect(null);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.connected) {
        if (timer) {
          clearTimeout(timer);
          timer = null;
          onConnect(new ProxyError('UF', connectFailureReason(err)));
        }
        return;
      }
      this.fail(new ProxyError('UC', err.code ?? err.message));
    });
    socket.on('close', () => {
      this.closed = true;
      if (timer) {
        clearTimeout(timer);
        timer = null;
        onConnect(new ProxyError('UF', 'connection closed'));
      }
      this.host.dropIdle(this);
      this.onClose();
    });
  }

  /** Starts an exchange: the sink receives the response. */
  attach(sink: ResponseSink): void {
    this.sink = sink;
    this.head = null;
    this.bodyMode = B_NONE;
    this.requestDone = false;
    this.uses++;
    if (this.socket.isPaused()) this.socket.resume();
  }

  /** Strings are written as latin1: header bytes were decoded that way and must round-trip. */
  write(data: Buffer | string): boolean {
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  resume(): void {
    this.socket.resume();
  }

  /** Drops the exchange without telling it (a retry abandons this attempt) and closes. */
  abandon(): void {
    this.sink = null;
    this.destroy();
  }

  destroy(): void {
    this.reusable = false;
    this.socket.destroy();
  }

  /** Hands the raw socket to a tunnel (WebSocket after 101): never pooled again; bytes read past the 101 head. */
  takeSocket(): { socket: net.Socket; pending: Buffer | null } {
    this.sink = null;
    this.reusable = false;
    this.socket.removeAllListeners('data');
    const pending = this.pending;
    this.pending = null;
    return { socket: this.socket, pending };
  }

  /** Called when the request side is done; the connection goes back to the pool if it can. */
  markRequestDone(): void {
    this.requestDone = true;
  }

  private onClose(): void {
    const sink = this.sink;
    if (!sink) return;
    if (this.head && this.bodyMode === B_UNTIL_CLOSE) {
      this.sink = null;
      sink.onEnd([]);
      return;
    }
    this.fail(new ProxyError('UC', 'upstream connection closed'));
  }

  private fail(err: ProxyError): void {
    const sink = this.sink;
    this.sink = null;
    this.reusable = false;
    this.socket.destroy();
    if (sink) sink.onError(err, this.head === null);
  }

  private onData(chunk: Buffer): void {
    const sink = this.sink;
    if (!sink) {
      // Bytes while idle: the upstream broke the protocol; never reuse this connection.
      this.destroy();
      return;
    }
    sink.batchStart();
    try {
      this.onResponseBytes(sink, chunk);
    } finally {
      sink.batchEnd();
    }
  }

  private onResponseBytes(sink: ResponseSink, chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    if (this.head === null) {
      if (this.pending) {
        buf = Buffer.concat([this.pending, chunk]);
        this.pending = null;
      }
      for (;;) {
        let head: ResponseHead | null;
        try {
          head = parseResponseHead(buf, pos);
        } catch (err) {
          this.fail(new ProxyError('UPE', err instanceof CodecError ? err.message : String(err)));
          return;
        }
        if (head === null) {
          this.pending = pos === 0 ? buf : buf.subarray(pos);
          return;
        }
        pos += head.headBytes;
        if (head.status >= 100 && head.status < 200 && head.status !== 101) {
          sink.onInformational(head);
          if (this.sink !== sink) return;
          continue;
        }
        this.head = head;
        if (!head.keepAlive) this.reusable = false;
        if (!responseHasBody(sink.method, head.status)) this.bodyMode = B_NONE;
        else if (head.chunked) {
          this.bodyMode = B_CHUNKED;
          this.chunked.reset();
        } else if (head.contentLength >= 0) {
          this.bodyMode = B_LENGTH;
          this.remaining = head.contentLength;
        } else {
          this.bodyMode = B_UNTIL_CLOSE;
          this.reusable = false;
        }
        // A 101 may be followed by tunnel bytes in the same read: kept for takeSocket().
        if (head.status === 101) this.pending = pos < buf.length ? buf.subarray(pos) : null;
        sink.onHead(head);
        if (this.sink !== sink) return;
        if (this.bodyMode === B_NONE || (this.bodyMode === B_LENGTH && this.remaining === 0)) {
          this.finish(pos < buf.length);
          return;
        }
        break;
      }
    }
    if (pos >= buf.length) return;
    this.onBodyBytes(pos === 0 ? buf : buf.subarray(pos));
  }

  private onBodyBytes(data: Buffer): void {
    const sink = this.sink;
    if (!sink) return;
    let more = true;
    switch (this.bodyMode) {
      case B_LENGTH: {
        const take = Math.min(this.remaining, data.length);
        this.remaining -= take;
        more = sink.onBody(take === data.length ? data : data.subarray(0, take));
        if (this.remaining === 0) {
          this.finish(take < data.length);
          return;
        }
        break;
      }
      case B_CHUNKED: {
        let consumed: number;
        try {
          consumed = this.chunked.decode(data, (slice) => {
            if (!sink.onBody(slice)) more = false;
          });
        } catch (err) {
          this.fail(new ProxyError('UPE', err instanceof CodecError ? err.message : String(err)));
          return;
        }
        if (this.chunked.done) {
          this.finish(consumed < data.length, this.chunked.trailers);
          return;
        }
        break;
      }
      case B_UNTIL_CLOSE:
        more = sink.onBody(data);
        break;
      default:
        this.destroy();
        return;
    }
    if (!more && this.sink === sink) this.socket.pause();
  }

  private finish(extraBytes: boolean, trailers: string[] = []): void {
    const sink = this.sink;
    this.sink = null;
    this.head = null;
    if (extraBytes) this.reusable = false;
    const reusable = this.reusable && !this.closed && this.requestDone;
    const release = this.onRelease;
    if (release) release(this, reusable);
    sink?.onEnd(trailers);
  }

  get canReuse(): boolean {
    return this.reusable && !this.closed;
  }
}
