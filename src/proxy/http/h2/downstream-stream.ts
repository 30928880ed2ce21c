// One HTTP/2 request stream from a downstream client, driven through the same Exchange as an
// HTTP/1.1 request: the h2 request becomes a RequestHead (a body without content-length is treated
// as chunked), and the HTTP/1.1 response bytes the Exchange writes are parsed back into an h2
// response: head → respond(), body (de-chunked) → DATA, chunked trailers → h2 trailers.
import http2 from 'node:http2';
import type net from 'node:net';
import type { RequestHead } from '../codec/h1/request-parser.js';
import { parseResponseHead, responseHasBody, type ResponseHead } from '../codec/h1/response-parser.js';
import { ChunkedDecoder } from '../codec/h1/chunked.js';
import { localReply, type ProxyError } from '../../errors.js';
import type { HcmContext } from '../context.js';
import { Exchange } from '../exchange.js';
import type { DownstreamConnection } from '../downstream.js';
import { fromH2Headers, headerOf, isGrpcContentType, toH2Headers } from './headers.js';
import { httpToGrpcStatus } from '../../telemetry/grpc-local-status.js';

const { NGHTTP2_INTERNAL_ERROR, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/** The members of DownstreamConnection the Exchange uses; this class provides all of them. */
type DownstreamSurface = Pick<
  DownstreamConnection,
  'remoteAddress' | 'write' | 'pauseReading' | 'resumeReading' | 'requestComplete' | 'exchangeDone' | 'destroy' | 'writeLocalReply'
>;

const R_HEAD = 0;
const R_LENGTH = 1;
const R_CHUNKED = 2;
const R_UNTIL_END = 3;
const R_DONE = 4;

/** The request head an h2 request stands for (HTTP/1.1 semantics; a body without length is chunked). */
export function requestHeadOf(h: http2.IncomingHttpHeaders, endStream: boolean): RequestHead {
  const headers = fromH2Headers(h);
  const authority = typeof h[':authority'] === 'string' ? h[':authority'] : headerOf(headers, 'host');
  const cl = headerOf(headers, 'content-length');
  const contentLength = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : -1;
  return {
    method: String(h[':method'] ?? 'GET'),
    target: String(h[':path'] ?? '/'),
    versionMinor: 1,
    headers,
    host: authority,
    contentLength: endStream ? (contentLength > 0 ? 0 : contentLength) : contentLength,
    chunked: !endStream && contentLength < 0,
    keepAlive: true,
    upgrade: undefined,
    expectContinue: false,
    connectionTokens: [],
    headBytes: 0,
  };
}

export class H2DownstreamStream implements DownstreamSurface {
  readonly remoteAddress: string;
  readonly exchange: Exchange;
  private state = R_HEAD;
  private pending: Buffer | null = null;
  private remaining = 0;
  private readonly chunked = new ChunkedDecoder({ errorStatus: 502 });
  private requestEnded: boolean;
  private done = false;
  private readonly grpc: boolean;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    flags: number,
    ctx: HcmContext,
  ) {
    this.remoteAddress = stream.session?.socket?.remoteAddress ?? '';
    const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
    const head = requestHeadOf(headers, endStream);
    this.requestEnded = endStream;
    this.grpc = isGrpcContentType(headerOf(head.headers, 'content-type'));
    this.exchange = new Exchange(this as unknown as DownstreamConnection, ctx, head);
    stream.on('error', () => {});
    stream.on('drain', () => this.exchange.onDownstreamDrain());
    stream.on('close', () => {
      if (!this.done) {
        this.done = true;
        this.exchange.onDownstreamClosed();
      }
    });
    this.exchange.start();
    if (endStream) return;
    stream.on('data', (chunk: Buffer) => this.exchange.onRequestBody(chunk));
    stream.on('end', () => {
      this.requestEnded = true;
      this.exchange.onRequestEnd();
    });
  }

  /** The Exchange writes/corks its downstream socket; the stream stands in for it. */
  get socket(): net.Socket {
    return this.stream as unknown as net.Socket;
  }

  get requestComplete(): boolean {
    return this.requestEnded;
  }

  pauseReading(): void {
    this.stream.pause();
  }

  resumeReading(): void {
    if (!this.stream.closed) this.stream.resume();
  }

  /** HTTP/1.1 response bytes from the Exchange, turned into the h2 response. */
  write(data: Buffer | string): boolean {
    if (this.stream.closed || this.state === R_DONE) return true;
    let buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (this.state === R_HEAD) {
      if (this.pending) {
        buf = Buffer.concat([this.pending, buf]);
        this.pending = null;
      }
      let pos = 0;
      for (;;) {
        let head: ResponseHead | null;
        try {
          head = parseResponseHead(buf, pos);
        } catch {
          this.destroy();
          return true;
        }
        if (head === null) {
          this.pending = buf.subarray(pos);
          return true;
        }
        pos += head.headBytes;
        if (head.status >= 100 && head.status < 200) continue;
        this.respond(head);
        break;
      }
      if (pos >= buf.length) return !this.stream.writableNeedDrain;
      buf = buf.subarray(pos);
    }
    this.body(buf);
    return !this.stream.writableNeedDrain;
  }

  private respond(head: ResponseHead): void {
    const hasBody = responseHasBody(this.exchange.method, head.status);
    // A gRPC trailers-only response (grpc-status in the head) stays one HEADERS frame with END_STREAM.
    if (!hasBody || (this.grpc && headerOf(head.headers, 'grpc-status') !== undefined)) this.state = R_DONE;
    else if (head.chunked) {
      this.state = R_CHUNKED;
      this.chunked.reset();
    } else if (head.contentLength >= 0) {
      this.state = head.contentLength === 0 ? R_DONE : R_LENGTH;
      this.remaining = head.contentLength;
    } else this.state = R_UNTIL_END;
    const headers = toH2Headers(head.headers, { ':status': head.status });
    const end = this.state === R_DONE;
    this.stream.respond(headers, { endStream: end, waitForTrailers: this.state === R_CHUNKED });
  }

  private body(buf: Buffer): void {
    const s = this.stream;
    if (this.state === R_LENGTH) {
      const take = Math.min(this.remaining, buf.length);
      this.remaining -= take;
      s.write(take === buf.length ? buf : buf.subarray(0, take));
      if (this.remaining === 0) {
        this.state = R_DONE;
        s.end();
      }
    } else if (this.state === R_CHUNKED) {
      try {
        this.chunked.decode(buf, (slice) => s.write(slice));
      } catch {
        this.destroy();
        return;
      }
      if (this.chunked.done) {
        this.state = R_DONE;
        const trailers = toH2Headers(this.chunked.trailers, {});
        s.once('wantTrailers', () => s.sendTrailers(trailers));
        s.end();
      }
    } else if (this.state === R_UNTIL_END) s.write(buf);
  }

  exchangeDone(): void {
    this.done = true;
    if (this.stream.closed) return;
    if (this.state === R_UNTIL_END || this.state === R_HEAD) {
      this.state = R_DONE;
      this.stream.end();
    }
  }

  destroy(): void {
    if (!this.stream.closed) this.stream.close(NGHTTP2_INTERNAL_ERROR);
  }

  writeLocalReply(err: ProxyError, _keepAlive?: boolean, _extraHeaders?: string): number {
    const r = localReply(err);
    if (this.stream.headersSent || this.stream.closed) {
      this.destroy();
      return r.status;
    }
    this.state = R_DONE;
    if (this.grpc) {
      // As Envoy: a gRPC caller gets a trailers-only response carrying the mapped grpc-status.
      this.stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(httpToGrpcStatus(r.status)), 'grpc-message': encodeURIComponent(r.body) },
        { endStream: true },
      );
      return r.status;
    }
    this.stream.respond({ ':status': r.status, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(r.body), ...r.headers });
    this.stream.end(r.body);
    return r.status;
  }
}
