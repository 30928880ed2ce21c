// The Exchange's access-log hook. A listener with `access_log` gives its HcmContext an
// HttpAccessLog; each Exchange then opens one HttpLogTap, tells it the few things only the
// Exchange sees (the upstream response head, trailers, a failure), and hands it the outcome in
// complete(). Listeners without access logs cost nothing: no tap is created.
import type { RequestHead } from '../../http/codec/h1/request-parser.js';
import type { ResponseHead } from '../../http/codec/h1/response-parser.js';
import { localReply, type ProxyError } from '../../errors.js';
import type { Route } from '../../config/types.js';
import type { ClusterRuntime } from '../../upstream/cluster-manager.js';
import type { Host } from '../../upstream/host.js';
import { celTest } from '../../../cel/cel.js';
import { AccessLogEntry, flatGet, joinHostPort } from './entry.js';
import type { AccessLogger } from './decode.js';
import { writerFor } from './writer.js';

interface SocketView {
  localAddress?: string | undefined;
  localPort?: number | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/** What the tap reads from the Exchange's downstream: an h1 connection, or an h2 stream (whose socket is the stream). */
interface DownstreamView {
  socket: SocketView & { session?: { socket?: SocketView } | undefined };
  remoteAddress: string;
}

/** What the tap reads from the upstream connection that answered. */
interface UpstreamView {
  socket: { localAddress?: string | undefined; localPort?: number | undefined };
}

/** Writes one entry to every logger whose filter (if any) accepts it. */
export function emitAccessLog(loggers: readonly AccessLogger[], e: AccessLogEntry): void {
  for (const l of loggers) {
    if (l.filter && !celTest(l.filter, e)) continue;
    writerFor(l.path).write(l.format(e));
  }
}

export class HttpAccessLog {
  constructor(readonly loggers: readonly AccessLogger[]) {}

  begin(req: RequestHead, down: DownstreamView): HttpLogTap {
    return new HttpLogTap(this.loggers, req, down);
  }
}

/** Envoy's RESPONSE_CODE_DETAILS for a reply the proxy made itself, by response flag. */
const DETAILS: Readonly<Record<string, string>> = {
  NR: 'route_not_found',
  NC: 'cluster_not_found',
  UH: 'no_healthy_upstream',
  UF: 'upstream_reset_before_response_started{connection_failure}',
  UC: 'upstream_reset_before_response_started{connection_termination}',
  UO: 'upstream_reset_before_response_started{overflow}',
  UT: 'upstream_response_timeout',
  URX: 'upstream_reset_before_response_started{retry_limit_exceeded}',
  UPE: 'upstream_reset_before_response_started{protocol_error}',
  DPE: 'codec_error',
  DC: 'downstream_remote_disconnect',
  DI: 'fault_filter_delay',
  FI: 'fault_filter_abort',
};

export class HttpLogTap {
  private readonly t0 = performance.now();
  /** The request as attributes (CEL) and the line's data. */
  readonly entry = new AccessLogEntry();
  /** Body bytes of the local reply a failure produced (the Exchange counts upstream bytes only). */
  private localReplyBytes = 0;

  constructor(
    private readonly loggers: readonly AccessLogger[],
    req: RequestHead,
    down: DownstreamView,
  ) {
    const e = this.entry;
    const h2 = down.socket.session !== undefined;
    e.startMs = performance.timeOrigin + this.t0;
    e.protocol = h2 ? 'HTTP/2' : `HTTP/1.${req.versionMinor}`;
    e.method = req.method;
    e.requestHeaders = req.headers;
    e.scheme = 'http';
    let target = req.target;
    let authority = req.host;
    if (target.charCodeAt(0) !== 47 /* '/' */) {
      const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^#]*)/i.exec(target);
      if (m) {
        authority = m[1];
        target = m[2] || '/';
      }
    }
    e.path = target;
    e.authority = authority;
    const s = (h2 ? down.socket.session?.socket : down.socket) ?? {};
    e.downstreamLocal = joinHostPort(s.localAddress, s.localPort);
    e.downstreamRemote = joinHostPort(s.remoteAddress ?? down.remoteAddress, s.remotePort);
    if (!req.chunked && req.contentLength <= 0) e.requestDurationMs = 0;
  }

  /** The upstream's response head arrived (and was passed on). */
  head(head: ResponseHead, up: UpstreamView | null): void {
    const e = this.entry;
    e.responseHeaders = head.headers;
    e.responseDurationMs = performance.now() - this.t0;
    e.details = 'via_upstream';
    if (up) e.upstreamLocal = joinHostPort(up.socket.localAddress, up.socket.localPort);
  }

  trailers(t: readonly string[]): void {
    if (t.length > 0) this.entry.responseTrailers = t;
  }

  /** The request failed before any response from the upstream: why, in Envoy's words. */
  fail(err: ProxyError): void {
    if (err.flag === 'UF') this.entry.transportFailureReason = err.message.replaceAll(' ', '_');
    this.localReplyBytes = Buffer.byteLength(localReply(err).body);
  }

  /** The request is over: fill in the outcome and write the line(s). */
  done(route: Route | null, cluster: ClusterRuntime | null, host: Host | null, flags: string, status: number, requestBytes: number, responseBytes: number): void {
    const e = this.entry;
    e.durationMs = performance.now() - this.t0;
    if (e.requestDurationMs === undefined && flags !== 'DC') e.requestDurationMs = e.durationMs;
    e.routeName = route?.name || undefined;
    e.upstreamCluster = cluster?.config.name;
    e.upstreamHost = host?.key;
    e.flags = flags;
    e.responseCode = status;
    e.bytesReceived = requestBytes;
    e.bytesSent = responseBytes || this.localReplyBytes;
    e.grpcStatus = flatGet(e.responseTrailers, 'grpc-status') ?? flatGet(e.responseHeaders, 'grpc-status');
    if (e.details === undefined || flags === 'DC' || flags === 'UT') {
      const first = flags.split(',')[0] ?? '-';
      e.details = DETAILS[first] ?? (status > 0 ? 'direct_response' : undefined);
    }
    emitAccessLog(this.loggers, e);
  }
}

/** The listener's HttpAccessLog: with its loggers, or without any when only metric overrides need request attributes. */
export function httpAccessLogFor(loggers: readonly AccessLogger[] | undefined, needsAttributes: boolean): HttpAccessLog | undefined {
  if (loggers && loggers.length > 0) return new HttpAccessLog(loggers);
  return needsAttributes ? new HttpAccessLog([]) : undefined;
}
