// One request/response exchange: route → cluster → host → upstream connection, then the response
// streamed back. Implements the upstream's ResponseSink. Every failure is a ProxyError with a flag.
import type { RequestHead } from './codec/h1/request-parser.js';
import type { ResponseHead } from './codec/h1/response-parser.js';
import { CRLF, LAST_CHUNK, chunkHeader, lastChunkWithTrailers } from './codec/h1/chunked.js';
import { reasonPhrase } from './codec/h1/serialize.js';
import { ProxyError } from '../errors.js';
import type { Route } from '../config/types.js';
import { pickCluster, rewritePath, selectRoute, selectVirtualHost, type RequestView } from '../router/select.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import type { ClusterRuntime } from '../upstream/cluster-manager.js';
import type { Host } from '../upstream/host.js';
import type { HcmContext } from './context.js';
import type { DownstreamConnection } from './downstream.js';
import { PEER_METADATA_HEADER, type PeerMetadata } from '../../xds/node-metadata.js';
import { isHopByHop, peerCache, peerFromWorkloadMetadata } from './peers.js';
import { RetryController, RETRY_BUFFER_LIMIT } from './retry/controller.js';
import { GrpcMessageCounts } from '../telemetry/grpc-messages.js';
import { grpcStatusOf } from './retry/outcome.js';
import type { AttemptOutcome } from './retry/policy.js';
import { RouteFilterRun, type FilterStep } from './filters/run.js';
import type { RequestMirror } from './filters/mirror.js';
import { requestHash } from '../upstream/lb/hash-key.js';
import { openTunnel } from './upgrade.js';
import { buildUpstreamHead } from './request-head.js';
import type { RequestAuth } from '../security/identity.js';
import { runJwtAuthn, type AuthnOutcome } from '../security/jwt/authenticate.js';
import type { HttpLogTap } from '../telemetry/access-log/http-tap.js';
import type { TraceTap } from '../telemetry/tracing/tracer.js';
import { authorizeRequest, normalizedPath } from '../security/rbac/check.js';
import { outboundPeer, recordedSource } from '../security/peer-identity.js';
import { noteReplyGrpcStatus, settleGrpcStatus } from '../telemetry/grpc-local-status.js';
import { originalDstHost } from '../upstream/original-dst.js';
import { egressService } from '../telemetry/egress-service.js';
import { connectTunnel } from './connect-tunnel.js';
import { getHeader } from './codec/h1/headers.js';

export class Exchange {
  private readonly startedAt = performance.now();
  private upstream: UpstreamConnection | null = null;
  private host: Host | null = null;
  private cluster: ClusterRuntime | null = null;
  private route: Route | null = null;
  /** Body chunks that arrived before the upstream connection was ready. */
  private queued: Buffer[] | null = [];
  private requestEnded = false;
  private upstreamChunked = false;
  responseStarted = false;
  private responseChunked = false;
  private responseStatus = 0;
  private flags = '-';
  private requestBytes = 0;
  private responseBytes = 0;
  private readonly grpcMessages: GrpcMessageCounts | null;
  private finished = false;
  private timer: NodeJS.Timeout | null = null;
  private peer: PeerMetadata | null = null;
  private retriedStale = false;
  private keepAlive: boolean;
  private headBuffer = '';
  /** Gives up this request's place in the cluster's pending queue (circuit breaking). */
  private cancelAcquire: (() => void) | null = null;
  /** Retry state when the route retries; see ./retry/. */
  private retry: RetryController | null = null;
  private attempt = 0;
  private tryTimer: NodeJS.Timeout | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  /** A retriable failure went to the client because the retry limit or budget said no. */
  private urx = false;
  /** Route filters (fault, CORS, headers, mirrors, local answers) and this request's mirror copy. */
  private filters: RouteFilterRun | null = null;
  private mirror: RequestMirror | null = null;
  /** Set-Cookie from a consistent-hash cookie policy that generated the cookie. */
  private setCookie: string | undefined;
  /** Istio's request.auth (jwt_authn, ../security/jwt/): undefined until it ran, null without a token. */
  requestAuth: RequestAuth | null | undefined;
  private readonly log: HttpLogTap | undefined; // access log / metric-override attributes (../telemetry/access-log/)
  private readonly trace: TraceTap | undefined; // this hop's span (../telemetry/tracing/)

  constructor(
    private readonly down: DownstreamConnection,
    private readonly ctx: HcmContext,
    private readonly req: RequestHead,
  ) {
    this.keepAlive = req.keepAlive;
    this.grpcMessages = GrpcMessageCounts.forContentType(this.headerValue('content-type'));
    // A request without a body is complete as soon as its head is.
    this.requestEnded = !req.chunked && req.contentLength <= 0;
    ctx.stats.downstreamRq++;
    this.log = ctx.accessLog?.begin(req, down);
    this.trace = ctx.tracing?.begin(req, down);
  }

  get method(): string {
    return this.req.method;
  }

  private get inbound(): boolean {
    return this.ctx.listener.direction === 'INBOUND';
  }

  start(run: () => void = () => this.dispatch()): void {
    try {
      run();
    } catch (err) {
      this.failBeforeResponse(err instanceof ProxyError ? err : new ProxyError('UPE', String(err)));
    }
  }

  private dispatch(): void {
    const req = this.req;
    const jwt = this.ctx.listener.hcm.jwtAuthn;
    if (jwt && this.requestAuth === undefined) return runJwtAuthn(jwt, req, (r) => this.afterAuthn(r));
    if (req.method === 'CONNECT' && connectTunnel(this.down, this.ctx, req)) return; // ./connect-tunnel.ts
    let target = req.target;
    let authority = (req.host ?? '').toLowerCase();
    if (target.charCodeAt(0) !== 47 /* '/' */) {
      // absolute-form (explicit HTTP proxy use): http://host[:port]/path
      // Only plain http:// is proxied this way: an https:// target would go out unencrypted.
      const m = /^http:\/\/([^/?#]*)([^#]*)/i.exec(target);
      if (!m) throw new ProxyError('DPE', 'only http:// absolute-form targets are proxied');
      authority = (m[1] ?? '').toLowerCase();
      target = m[2] || '/';
      if (target.charCodeAt(0) !== 47) target = `/${target}`;
    }
    const q = target.indexOf('?');
    const path = normalizedPath(this.ctx.listener.hcm, target, q);
    const query = q >= 0 ? target.slice(q + 1) : '';
    const view: RequestView = { method: req.method, authority, path, query, headers: req.headers, auth: this.requestAuth };
    authorizeRequest(this.ctx.listener.hcm, this.down.socket, view, this.ctx.rbacMetrics, { security: this.ctx.security, auth: this.requestAuth ?? undefined });

    const table = this.ctx.routes();
    if (!table) throw new ProxyError('NR', 'route config not received yet');
    const vh = selectVirtualHost(table, authority, this.ctx.listener.hcm.stripAnyHostPort);
    if (!vh) throw new ProxyError('NR', `no virtual host for ${authority}`);
    const route = selectRoute(vh, view);
    if (!route) throw new ProxyError('NR', 'no route matched');
    this.route = route;
    this.filters = RouteFilterRun.of(route, view);
    if (this.filters) this.runFilters(this.filters.decode(), () => this.forward(route, path, q, query, authority));
    else this.forward(route, path, q, query, authority);
  }

  private afterAuthn(r: AuthnOutcome): void {
    if (this.finished) return;
    if (r instanceof ProxyError) return this.failBeforeResponse(r);
    this.requestAuth = r;
    this.start();
  }

  private forward(route: Route, path: string, q: number, query: string, authority: string): void {
    const req = this.req;
    const clusterName = pickCluster(route.action, Math.random());
    const cluster = this.ctx.clusters.get(clusterName);
    if (!cluster) throw new ProxyError('NC', clusterName);
    this.cluster = cluster;
    const hash = route.action.hashPolicy ? requestHash(route.action.hashPolicy, { headers: req.headers, query, remoteAddress: this.down.remoteAddress }) : undefined;
    this.setCookie = hash?.setCookie;
    const host = cluster.config.originalDst ? originalDstHost(this.ctx.clusters, cluster, authority, req.headers, this.down.socket) : cluster.pick(hash?.key);
    if (!host) throw new ProxyError('UH', clusterName);
    this.host = host;
    host.active++;
    this.retry = RetryController.forRoute(route.action, clusterName);
    if (this.retry) {
      this.retry.noteHost(host);
      if (req.contentLength > RETRY_BUFFER_LIMIT) this.retry.disableReplay();
      // Body that arrived while an async step (jwt_authn, fault delay) ran is replayed too.
      for (const b of this.queued ?? []) this.retry.bufferBody(b);
    }

    const newPath = rewritePath(route, path);
    const finalTarget = q >= 0 ? `${newPath}?${query}` : newPath;
    this.headBuffer = this.buildRequestHead(finalTarget, route.action.hostRewrite ?? (req.host ?? authority));
    this.mirror = this.filters?.mirror(this.ctx.clusters, this.headBuffer, req.contentLength, this.queued, this.requestEnded) ?? null;
    if (route.action.timeoutMs > 0) {
      this.timer = setTimeout(() => this.onTimeout(), route.action.timeoutMs);
    }
    if (req.expectContinue) this.down.write('HTTP/1.1 100 Continue\r\n\r\n');
    this.connect(false);
  }

  private buildRequestHead(target: string, hostValue: string): string {
    const req = this.req;
    const headers = this.filters ? this.filters.requestHeaders(this.cluster!.config.name, req.headers) : req.headers;
    const u = buildUpstreamHead(req, headers, target, hostValue, this.ctx, this.down.remoteAddress, this.trace);
    if (u.chunked) this.upstreamChunked = true;
    if (u.peer) this.peer = u.peer;
    return u.head;
  }

  private connect(forceNew: boolean): void {
    const host = this.host!;
    const cluster = this.cluster!;
    if (forceNew) host.closeIdle();
    const attempt = ++this.attempt;
    const perTry = this.retry?.perTryTimeoutMs ?? 0;
    if (perTry > 0) {
      if (this.tryTimer) clearTimeout(this.tryTimer);
      this.tryTimer = setTimeout(() => this.onTryTimeout(), perTry);
    }
    this.cancelAcquire?.();
    this.cancelAcquire = this.ctx.clusters.acquire(host, cluster.config.connectTimeoutMs, (err, conn, reused) => {
      if (this.finished || attempt !== this.attempt) {
        if (conn) conn.onRelease?.(conn, true);
        return;
      }
      if (err || !conn) {
        const e = err ?? new ProxyError('UF', 'no connection');
        if (!this.tryRetry({ kind: 'reset', flag: e.flag })) this.failBeforeResponse(e);
        return;
      }
      this.attachUpstream(conn, reused);
    });
    if (this.queued !== null && !this.down.requestComplete) this.down.pauseReading();
  }

  private attachUpstream(conn: UpstreamConnection, reused: boolean): void {
    this.upstream = conn;
    conn.attach(this);
    conn.socket.cork();
    conn.write(this.headBuffer);
    const queued = this.queued ?? [];
    this.queued = null;
    for (const b of queued) this.writeBody(conn, b);
    if (this.requestEnded) this.endBody(conn);
    conn.socket.uncork();
    this.down.resumeReading();
    // Remember whether a stale keep-alive race may be retried: only bodiless requests.
    if (!reused) this.retriedStale = true;
  }

  private writeBody(conn: UpstreamConnection, data: Buffer): boolean {
    if (this.upstreamChunked) {
      conn.write(chunkHeader(data.length));
      conn.write(data);
      return conn.write(CRLF);
    }
    return conn.write(data);
  }

  private endBody(conn: UpstreamConnection): void {
    if (this.upstreamChunked) conn.write(LAST_CHUNK);
    conn.markRequestDone();
  }

  // ---- request body from the downstream ------------------------------------------------------

  onRequestBody(data: Buffer): void {
    if (this.finished) return;
    this.requestBytes += data.length;
    this.grpcMessages?.requestData(data);
    this.retry?.bufferBody(data);
    this.mirror?.data(data);
    const up = this.upstream;
    if (!up) {
      this.queued?.push(data);
      this.down.pauseReading();
      return;
    }
    if (!this.writeBody(up, data)) {
      this.down.pauseReading();
      up.socket.once('drain', () => this.down.resumeReading());
    }
  }

  onRequestEnd(): void {
    this.requestEnded = true;
    this.mirror?.end();
    if (this.finished) {
      return;
    }
    const up = this.upstream;
    if (up) this.endBody(up);
  }

  // ---- response from the upstream (ResponseSink) ---------------------------------------------

  onInformational(head: ResponseHead): void {
    if (head.status === 100 && this.req.expectContinue) return; // we already sent our own
    this.emit(`HTTP/1.1 ${head.status} ${reasonPhrase(head.status)}\r\n\r\n`);
  }

  onHead(head: ResponseHead): void {
    if (head.status === 101 && this.upstream && this.ctx.listener.hcm.websocket) return this.tunnel(head, this.upstream);
    if (this.retry && this.tryRetry({ kind: 'response', status: head.status, grpcStatus: grpcStatusOf(head) })) return;
    this.responseStarted = true;
    this.responseStatus = head.status;
    this.grpcMessages?.headers(head.headers);
    this.log?.head(head, this.upstream);
    const h = this.filters ? this.filters.responseHeaders(this.cluster!.config.name, head.headers) : head.headers;
    const tokens = head.connectionTokens;
    if (this.ctx.draining()) this.keepAlive = false;
    let s = `HTTP/1.1 ${head.status} ${head.reason || reasonPhrase(head.status)}\r\n`;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i]!;
      if (name === 'content-length' || isHopByHop(name, tokens)) continue;
      if (name === PEER_METADATA_HEADER) {
        if (!this.inbound) this.peer = outboundPeer(h[i + 1]!, this.upstream?.socket);
        continue;
      }
      s += `${name}: ${h[i + 1]}\r\n`;
    }
    if (this.inbound) s += `${PEER_METADATA_HEADER}: ${this.ctx.selfHeader}\r\n`;
    if (this.setCookie) s += `set-cookie: ${this.setCookie}\r\n`;
    const hasBody = this.req.method !== 'HEAD' && head.status !== 204 && head.status !== 304;
    if (head.contentLength >= 0 && !head.chunked) s += `content-length: ${head.contentLength}\r\n`;
    if (hasBody && (head.chunked || head.contentLength < 0)) {
      if (this.req.versionMinor === 1) {
        this.responseChunked = true;
        s += 'transfer-encoding: chunked\r\n';
      } else {
        this.keepAlive = false;
      }
    }
    if (!this.keepAlive) s += 'connection: close\r\n';
    this.emit(`${s}\r\n`);
  }

  onBody(data: Buffer): boolean {
    this.responseBytes += data.length;
    this.grpcMessages?.responseData(data);
    if (this.responseChunked) {
      this.emit(chunkHeader(data.length));
      this.emit(data);
      this.emit(CRLF);
    } else {
      this.emit(data);
    }
    return !this.down.socket.writableNeedDrain;
  }

  // Response bytes produced while handling one upstream read are gathered and written with a
  // single write call: one syscall and one pass through the stream machinery per read.
  private out: (Buffer | string)[] = [];
  private outBytes = 0;
  private batching = false;

  private emit(data: Buffer | string): void {
    if (!this.batching) {
      this.down.write(data);
      return;
    }
    this.out.push(data);
    this.outBytes += data.length;
  }

  private flush(): void {
    const out = this.out;
    if (out.length === 0) return;
    let ok: boolean;
    if (out.length === 1) ok = this.down.write(out[0]!);
    else if (this.outBytes <= 65536) {
      ok = this.down.write(Buffer.concat(out.map((d) => (typeof d === 'string' ? Buffer.from(d, 'latin1') : d)), this.outBytes));
    } else {
      this.down.socket.cork();
      for (const d of out) this.down.write(d);
      this.down.socket.uncork();
      ok = !this.down.socket.writableNeedDrain;
    }
    this.out = [];
    this.outBytes = 0;
    if (!ok) this.upstream?.socket.pause();
  }

  batchStart(): void {
    this.batching = true;
  }

  batchEnd(): void {
    this.batching = false;
    this.flush();
  }

  onDownstreamDrain(): void {
    this.upstream?.resume();
  }

  onEnd(trailers: readonly string[] = []): void {
    this.grpcMessages?.headers(trailers);
    this.log?.trailers(trailers);
    if (this.responseChunked) this.emit(trailers.length > 0 && /\btrailers\b/i.test(this.headerValue('te')) ? lastChunkWithTrailers(trailers) : LAST_CHUNK);
    // Written now, before the connection moves on to a pipelined request that may answer locally.
    this.batching = false;
    this.flush();
    this.complete();
  }

  onError(err: ProxyError, beforeHead: boolean): void {
    if (this.finished) return;
    if (beforeHead && !this.retriedStale && this.requestBytes === 0 && this.upstream !== null) {
      // A pooled connection the upstream closed as we reused it: try once on a fresh one.
      this.retriedStale = true;
      this.upstream = null;
      this.queued = [];
      this.connect(true);
      return;
    }
    if (beforeHead && this.tryRetry({ kind: 'reset', flag: err.flag })) return;
    if (beforeHead) this.failBeforeResponse(err);
    else {
      this.flags = err.flag;
      this.down.destroy();
      this.complete();
    }
  }

  /** 101: the exchange becomes a WebSocket tunnel (./upgrade.ts), recorded when it closes. */
  private tunnel(head: ResponseHead, up: UpstreamConnection): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.responseStarted = true;
    this.responseStatus = 101;
    const peer = openTunnel(this.down, up, head, this.inbound ? this.ctx.selfHeader : null, (sent, received) => {
      this.responseBytes += sent;
      this.requestBytes += received;
      this.complete();
    });
    if (peer !== undefined && !this.inbound) this.peer = peerCache.decode(peer);
  }

  // ---- retries (decisions in ./retry/controller.ts) ----------------------------------------------

  /**
   * After a failed attempt with nothing sent downstream yet: abandons the attempt and schedules the
   * next one if the retry policy, limit, budget and replay buffer allow. True when retrying.
   */
  private tryRetry(outcome: AttemptOutcome): boolean {
    const rc = this.retry;
    if (!rc || this.finished || this.responseStarted) return false;
    const d = rc.decide(outcome, this.cluster ?? undefined);
    if (!d.retry) {
      if (d.urx) this.urx = true;
      return false;
    }
    // An abandoned attempt never reaches complete(): outlier detection hears of it here.
    if (this.host) this.cluster?.recordAttempt(this.host, outcome);
    if (this.tryTimer) clearTimeout(this.tryTimer);
    this.tryTimer = null;
    this.attempt++;
    const up = this.upstream;
    this.upstream = null;
    up?.abandon();
    // Body chunks arriving during the back-off queue behind the replayed ones.
    this.queued = rc.replayBody();
    this.backoffTimer = setTimeout(() => this.startRetry(), d.delayMs);
    return true;
  }

  private startRetry(): void {
    this.backoffTimer = null;
    if (this.finished) return;
    const cluster = this.cluster!;
    const host = this.retry!.pickHost(cluster);
    if (!host) {
      this.failBeforeResponse(new ProxyError('UH', cluster.config.name));
      return;
    }
    if (this.host) this.host.active--;
    this.host = host;
    host.active++;
    this.retry!.noteHost(host);
    this.retriedStale = false;
    this.connect(false);
  }

  /** perTryTimeout: retried like a reset; ignored once the response has started downstream (as Envoy). */
  private onTryTimeout(): void {
    this.tryTimer = null;
    if (this.finished || this.responseStarted) return;
    if (!this.tryRetry({ kind: 'reset', flag: 'UT' })) this.failBeforeResponse(new ProxyError('UT', 'upstream per-try timeout'));
  }

  // ---- route filters (./filters/): a fault delay, a local answer, or on to the upstream ----------

  private runFilters(step: FilterStep, forward: () => void): void {
    if (step.kind === 'continue') forward();
    else if (step.kind === 'delay') {
      this.flags = 'DI';
      this.timer = setTimeout(() => this.start(() => this.runFilters(this.filters!.afterDelay(), forward)), step.ms);
    } else {
      this.flags = this.filters!.flagsFor(step.reply);
      this.keepAlive = this.keepAlive && this.down.requestComplete && !this.ctx.draining();
      this.responseStatus = this.filters!.writeReply(this.down, step.reply, this.keepAlive, this.req.method === 'HEAD');
      noteReplyGrpcStatus(this.grpcMessages, step.reply.headers);
      this.complete();
    }
  }

  // ---- endings ---------------------------------------------------------------------------------

  private onTimeout(): void {
    this.timer = null;
    if (this.finished) return;
    this.upstream?.destroy();
    this.upstream = null;
    if (!this.responseStarted) this.failBeforeResponse(new ProxyError('UT', 'route timeout'));
    else {
      this.flags = 'UT';
      this.down.destroy();
      this.complete();
    }
  }

  onDownstreamClosed(): void {
    if (this.finished) return;
    this.flags = 'DC';
    this.upstream?.destroy();
    this.complete();
  }

  abortForProtocolError(): void {
    if (this.finished) return;
    this.upstream?.destroy();
    this.flags = 'DPE';
    this.finished = true;
    this.cleanup();
  }

  private failBeforeResponse(err: ProxyError): void {
    if (this.finished) return;
    this.flags = err.flag;
    this.log?.fail(err);
    if (this.upstream) this.upstream.destroy();
    this.upstream = null;
    // If the request body is still arriving we answer and close: the stream cannot be resynced.
    const keepAlive = this.keepAlive && this.down.requestComplete && !this.ctx.draining();
    this.keepAlive = keepAlive;
    this.responseStatus = this.down.writeLocalReply(err, keepAlive);
    this.complete();
  }

  private cleanup(): void {
    this.retry?.release();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.cancelAcquire?.();
    this.cancelAcquire = null;
    if (this.tryTimer) clearTimeout(this.tryTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.tryTimer = null;
    this.backoffTimer = null;
    if (this.host) this.host.active--;
    this.host = null;
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    const hostRef = this.host;
    // Outlier detection is fed the result of the request's (last) upstream attempt.
    if (hostRef) this.cluster?.recordResult(hostRef, this.flags, this.responseStatus, this.responseStarted);
    this.cleanup();
    if (this.urx) this.flags = this.flags === '-' ? 'URX' : `${this.flags},URX`;
    const ctx = this.ctx;
    if (this.flags !== '-') ctx.stats.byFlag.set(this.flags, (ctx.stats.byFlag.get(this.flags) ?? 0) + 1);
    const inbound = this.inbound;
    let peer = this.peer;
    if (!inbound && !peer && hostRef) peer = peerFromWorkloadMetadata(hostRef.endpoint.workload, hostRef.endpoint.serviceAccount);
    // A local reply before forwarding (fault abort, redirect, NC...) still names the route's
    // destination service, as Istio's stats do (Envoy knows the route's cluster once routed).
    const routed = this.cluster ?? (this.route ? this.ctx.clusters.get(this.route.action.clusters[0]?.name ?? '') : undefined);
    const service = egressService(this.route?.name, routed?.config.name, this.req.target, this.req.host) ?? routed?.config.service ?? null;
    const grpc = this.headerValue('content-type').startsWith('application/grpc');
    settleGrpcStatus(this.grpcMessages, this.flags === 'DC' && !this.responseStarted ? 0 : this.responseStatus);
    this.log?.done(this.route, this.cluster, hostRef, this.flags, this.responseStatus, this.requestBytes, this.responseBytes);
    this.trace?.end(this.cluster, this.flags, this.responseStatus, this.requestBytes, this.responseBytes, peer, ctx.security);
    ctx.metrics.record({
      reporter: inbound ? 'destination' : 'source',
      // Over mTLS (the peer's principal was verified) the source reporter names its own identity.
      source: inbound ? recordedSource(peer, ctx.security) : peer?.principal && ctx.selfWithPrincipal ? ctx.selfWithPrincipal() : ctx.self,
      destination: inbound ? (ctx.security?.policy === 'mutual_tls' && ctx.selfWithPrincipal ? ctx.selfWithPrincipal() : ctx.self) : peer,
      destinationService: service,
      requestProtocol: grpc ? 'grpc' : 'http',
      responseCode: this.flags === 'DC' && !this.responseStarted ? 0 : this.responseStatus,
      responseFlags: this.flags,
      connectionSecurityPolicy: inbound ? (ctx.security?.policy ?? 'none') : 'unknown',
      durationMs: performance.now() - this.startedAt,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      grpcMessages: this.grpcMessages,
    }, this.log?.entry);
    if (this.flags !== 'DC') this.down.exchangeDone(this.keepAlive);
  }

  private headerValue(name: string): string {
    return getHeader(this.req.headers, name) ?? '';
  }
}
