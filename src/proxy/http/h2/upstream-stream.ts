// An HTTP/2 stream to an upstream host that the Exchange drives like an HTTP/1.1 upstream
// connection: it takes the HTTP/1.1 request head and body bytes the Exchange writes, sends them as
// an h2 request (pseudo-headers, no connection-specific headers, `te: trailers` for gRPC), and
// reports the h2 response to the Exchange's ResponseSink as a response head, body and trailers.
// This keeps one exchange path (routing, retries, timeouts, filters, telemetry) for both protocols.
import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import type net from 'node:net';
import { parseRequestHead } from '../codec/h1/request-parser.js';
import type { ResponseHead } from '../codec/h1/response-parser.js';
import { ChunkedDecoder } from '../codec/h1/chunked.js';
import { CodecError } from '../codec/h1/errors.js';
import { ProxyError } from '../../errors.js';
import type { Host } from '../../upstream/host.js';
import type { ResponseSink, UpstreamConnection } from '../../upstream/upstream-connection.js';
import { fromH2Headers, headerOf, isGrpcContentType, toH2Headers } from './headers.js';
import { sessionSocket } from './session-sockets.js';
import { aliasSocket } from '../../security/upstream-tls.js';

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

/** The members of UpstreamConnection the Exchange uses; this class provides all of them. */
type UpstreamSurface = Pick<UpstreamConnection, 'host' | 'attach' | 'write' | 'resume' | 'abandon' | 'destroy' | 'markRequestDone' | 'onRelease' | 'requestDone' | 'uses' | 'closed' | 'connected' | 'canReuse'>;

/** Stands in for the socket the Exchange corks, pauses and waits on for 'drain'. */
class StreamSocket extends EventEmitter {
  stream: http2.ClientHttp2Stream | null = null;
  cork(): void {}
  uncork(): void {}
  pause(): this {
    this.stream?.pause();
    return this;
  }
  resume(): this {
    this.stream?.resume();
    return this;
  }
  get writableNeedDrain(): boolean {
    return this.stream?.writableNeedDrain ?? false;
  }
}

export class H2UpstreamStream implements UpstreamSurface {
  private readonly shim = new StreamSocket();
  private stream: http2.ClientHttp2Stream | null = null;
  private sink: ResponseSink | null = null;
  private chunked: ChunkedDecoder | null = null;
  private gotHead = false;
  private trailers: string[] = [];
  requestDone = false;
  uses = 1;
  closed = false;
  connected = true;
  onRelease: ((c: UpstreamConnection, reusable: boolean) => void) | null = null;

  constructor(
    readonly host: Host,
    private readonly session: http2.ClientHttp2Session,
  ) {
    // The Exchange asks the shim which peer the connection verified (mTLS source/destination principals).
    const real = sessionSocket(session);
    if (real) aliasSocket(this.shim, real);
  }

  /** The Exchange's view of this stream. */
  asConnection(): UpstreamConnection {
    return this as unknown as UpstreamConnection;
  }

  get socket(): net.Socket {
    return this.shim as unknown as net.Socket;
  }

  get canReuse(): boolean {
    return false;
  }

  attach(sink: ResponseSink): void {
    this.sink = sink;
  }

  /** The first write is the request head; later ones body bytes (chunk-framed when chunked). */
  write(data: Buffer | string): boolean {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (!this.stream) {
      this.open(buf);
      return true;
    }
    const s = this.stream;
    if (this.chunked) {
      try {
        this.chunked.decode(buf, (slice) => s.write(slice));
      } catch (err) {
        this.fail(new ProxyError('DPE', err instanceof Error ? err.message : String(err)));
      }
    } else if (buf.length > 0) s.write(buf);
    return !s.writableNeedDrain;
  }

  private open(head: Buffer): void {
    let req;
    try {
      req = parseRequestHead(head, 0);
    } catch (err) {
      this.fail(new ProxyError('DPE', err instanceof CodecError ? err.message : String(err)));
      return;
    }
    if (!req) {
      this.fail(new ProxyError('DPE', 'incomplete request head'));
      return;
    }
    if (req.chunked) this.chunked = new ChunkedDecoder({ errorStatus: 400 });
    const headers = toH2Headers(req.headers, {
      ':method': req.method,
      ':scheme': 'http',
      ':authority': req.host ?? '',
      ':path': req.target,
    });
    if (isGrpcContentType(headerOf(req.headers, 'content-type'))) headers.te = 'trailers';
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.session.request(headers, { endStream: false });
    } catch (err) {
      this.fail(new ProxyError('UC', err instanceof Error ? err.message : String(err)));
      return;
    }
    this.stream = stream;
    this.shim.stream = stream;
    stream.on('drain', () => this.shim.emit('drain'));
    stream.on('response', (h) => this.onResponse(h));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('trailers', (h) => {
      this.trailers = fromH2Headers(h);
    });
    stream.on('end', () => this.onEnd());
    stream.on('error', () => {});
    stream.on('close', () => this.onClose());
  }

  private onResponse(h: http2.IncomingHttpHeaders): void {
    const sink = this.sink;
    if (!sink) return;
    const status = Number(h[':status']);
    if (status >= 100 && status < 200) return;
    const headers = fromH2Headers(h);
    const cl = headerOf(headers, 'content-length');
    const head: ResponseHead = {
      versionMinor: 1,
      status,
      reason: '',
      headers,
      contentLength: cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : -1,
      chunked: false,
      keepAlive: true,
      connectionTokens: [],
      headBytes: 0,
    };
    this.gotHead = true;
    sink.batchStart();
    try {
      sink.onHead(head);
    } finally {
      sink.batchEnd();
    }
  }

  private onData(chunk: Buffer): void {
    const sink = this.sink;
    if (!sink || !this.gotHead) return;
    sink.batchStart();
    let more: boolean;
    try {
      more = sink.onBody(chunk);
    } finally {
      sink.batchEnd();
    }
    if (!more && this.sink === sink) this.stream?.pause();
  }

  private onEnd(): void {
    const sink = this.sink;
    if (!sink || !this.gotHead) return;
    this.sink = null;
    this.onRelease?.(this.asConnection(), false);
    sink.onEnd(this.trailers);
  }

  private onClose(): void {
    this.closed = true;
    const sink = this.sink;
    if (!sink) return;
    const code = this.stream?.rstCode;
    this.fail(new ProxyError('UC', code === NGHTTP2_REFUSED_STREAM ? 'refused stream' : `upstream reset (code ${code ?? 0})`));
  }

  private fail(err: ProxyError): void {
    const sink = this.sink;
    this.sink = null;
    this.destroy();
    sink?.onError(err, !this.gotHead);
  }

  resume(): void {
    this.stream?.resume();
  }

  markRequestDone(): void {
    this.requestDone = true;
    if (this.stream && !this.stream.writableEnded) this.stream.end();
  }

  abandon(): void {
    this.sink = null;
    this.destroy();
  }

  destroy(): void {
    const s = this.stream;
    if (s && !s.closed) s.close(NGHTTP2_CANCEL);
  }
}
