// The TCP proxy's access-log hook: one entry per proxied connection, written when it closes (or
// fails to open). HTTP-only operators render "-" (PROTOCOL, REQ, RESP), as in Envoy.
import type net from 'node:net';
import { AccessLogEntry, joinHostPort } from './entry.js';
import type { AccessLogger } from './decode.js';
import { emitAccessLog } from './http-tap.js';

const DETAILS: Readonly<Record<string, string>> = {
  NR: 'filter_chain_not_found',
  NC: 'cluster_not_found',
  UH: 'no_healthy_upstream',
  UF: 'upstream_connection_failure',
  DC: 'downstream_remote_disconnect',
};

export class TcpLog {
  private readonly t0 = performance.now();
  private readonly e = new AccessLogEntry();
  private ended = false;

  constructor(
    private readonly loggers: readonly AccessLogger[],
    down: net.Socket,
    sni: string | undefined,
  ) {
    const e = this.e;
    e.startMs = performance.timeOrigin + this.t0;
    e.downstreamLocal = joinHostPort(down.localAddress, down.localPort);
    e.downstreamRemote = joinHostPort(down.remoteAddress, down.remotePort);
    e.requestedServerName = sni || undefined;
  }

  /**
   * The connection is an HTTP CONNECT tunnel (../../http/connect-tunnel.ts): its line carries the
   * request (method CONNECT, authority, protocol, route) and the status answered, as Envoy's
   * connection manager logs a CONNECT.
   */
  connect(authority: string, protocol: string, headers: readonly string[], routeName: string | undefined, status: number): void {
    const e = this.e;
    e.method = 'CONNECT';
    e.authority = authority;
    e.protocol = protocol;
    e.requestHeaders = headers;
    e.routeName = routeName;
    e.responseCode = status;
  }

  /** The cluster and host picked (either may be missing when the connection fails early). */
  target(cluster: string | undefined, host: string | undefined): void {
    this.e.upstreamCluster = cluster;
    this.e.upstreamHost = host;
  }

  connected(up: net.Socket): void {
    this.e.upstreamLocal = joinHostPort(up.localAddress, up.localPort);
  }

  received(n: number): void {
    this.e.bytesReceived += n;
  }

  sent(n: number): void {
    this.e.bytesSent += n;
  }

  /** The connection is over; `flag` is Envoy's response flag ("-" for a normal close). */
  end(flag: string, reason?: string): void {
    if (this.ended) return;
    this.ended = true;
    const e = this.e;
    e.durationMs = performance.now() - this.t0;
    e.flags = flag;
    e.details = DETAILS[flag];
    if (flag === 'UF' && reason) e.transportFailureReason = reason.replaceAll(' ', '_');
    emitAccessLog(this.loggers, e);
  }
}
