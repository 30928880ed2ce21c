// Envoy's per-cluster upstream stats, kept as plain numbers on the cluster (one object per cluster
// name, surviving config updates like the cluster's pool) and turned into Prometheus samples only
// when scraped (./cluster-metrics.ts): upstream_rq_total, upstream_rq_<code> / _<class>xx,
// upstream_rq_completed, upstream_cx_active, upstream_cx_rx_bytes_total / tx. The request path
// pays a few increments and one small Map update per response code.
import type net from 'node:net';

export class ClusterStats {
  /** Upstream requests (attempts, retries included) sent to a host. */
  rqTotal = 0;
  /** Upstream requests that got a response. */
  rqCompleted = 0;
  /** Responses by status code. */
  readonly byCode = new Map<number, number>();
  /** Upstream connections (HTTP/1.1, HTTP/2 sessions, TCP proxy) open now. */
  readonly sockets = new Set<net.Socket>();
  closedRxBytes = 0;
  closedTxBytes = 0;

  /** One upstream request attempt and its response status (0: no response, e.g. a reset). */
  request(status: number): void {
    this.rqTotal++;
    if (status > 0) {
      this.rqCompleted++;
      this.byCode.set(status, (this.byCode.get(status) ?? 0) + 1);
    }
  }

  /** Counts an upstream connection while it is open and its bytes after. */
  track(socket: net.Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.closedRxBytes += socket.bytesRead;
      this.closedTxBytes += socket.bytesWritten;
    });
  }

  get cxActive(): number {
    return this.sockets.size;
  }

  get rxBytes(): number {
    let n = this.closedRxBytes;
    for (const s of this.sockets) n += s.bytesRead;
    return n;
  }

  get txBytes(): number {
    let n = this.closedTxBytes;
    for (const s of this.sockets) n += s.bytesWritten;
    return n;
  }

  /** Responses by class ("2xx", ...) and by code, as Envoy's response_code_class/response_code tags. */
  responses(): { classes: Map<string, number>; codes: Map<string, number> } {
    const classes = new Map<string, number>();
    const codes = new Map<string, number>();
    for (const [code, n] of this.byCode) {
      const cls = `${Math.floor(code / 100)}xx`;
      classes.set(cls, (classes.get(cls) ?? 0) + n);
      codes.set(String(code), n);
    }
    return { classes, codes };
  }
}
