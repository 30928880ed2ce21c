// CONNECT on the sidecar's outbound listener (an app using it as https_proxy): "CONNECT host:port"
// whose authority falls to the catch-all virtual host. ALLOW_ANY (`allow_any` → an ORIGINAL_DST
// cluster): the destination comes from the authority as for HTTP (../upstream/original-dst.ts),
// the connection is made like tcp_proxy's (../network/tcp-upstream.ts: the cluster's connection
// limit, connect timeout → UF), answered "200 OK" and spliced both ways; Istio's TCP metrics with
// destination_service_name PassthroughCluster. REGISTRY_ONLY (`block_all`): answered 502 (the
// catch-all's status) and closed; TCP metrics with destination_service_name BlackHoleCluster and
// flag UH, as a tcp_proxy to the endpoint-less BlackHoleCluster reports. A failed connect is
// answered as an HTTP failure (errors.ts localReply) and closed. Other CONNECTs (a mesh host that
// has its own virtual host, h2 streams) are left to the Exchange, which refuses them (400).
// With access logging on the listener, each tunnel is one line when it ends (method CONNECT, the
// status answered, the cluster and host, the bytes each way, the flag).
import type { RequestHead } from './codec/h1/request-parser.js';
import type { DownstreamConnection } from './downstream.js';
import type { HcmContext } from './context.js';
import { reasonPhrase } from './codec/h1/serialize.js';
import { selectVirtualHost } from '../router/select.js';
import { originalDstHost } from '../upstream/original-dst.js';
import { connectTcpUpstream } from '../network/tcp-upstream.js';
import { splice } from '../network/splice.js';
import { localReply, ProxyError, type ResponseFlag } from '../errors.js';
import type { TcpConnectionLabels } from '../telemetry/tcp-metrics.js';
import { BLACKHOLE, PASSTHROUGH } from '../telemetry/egress-service.js';
import { TcpLog } from '../telemetry/access-log/tcp-log.js';

/** The status Istio's block_all virtual host answers with. */
const BLOCKED_STATUS = 502;

/** True when this CONNECT was taken over here (tunneled or refused); false: the Exchange answers it. */
export function connectTunnel(down: DownstreamConnection, ctx: HcmContext, req: RequestHead): boolean {
  if (typeof (down as Partial<DownstreamConnection>).takeSocket !== 'function') return false; // an h2 stream
  const table = ctx.routes();
  const authority = req.target.toLowerCase();
  const vh = table ? selectVirtualHost(table, authority, ctx.listener.hcm.stripAnyHostPort) : undefined;
  if (!vh || !vh.domains.includes('*')) return false;
  const cluster = ctx.clusters.get(vh.routes[0]?.action.clusters[0]?.name ?? '');
  const blocked = vh.name === 'block_all';
  if (!blocked && !cluster?.config.originalDst) return false;
  // A bad authority throws here, before the socket leaves the HTTP codec: 503 UH from the Exchange.
  const host = blocked || !cluster ? null : originalDstHost(ctx.clusters, cluster, authority, req.headers, down.socket);

  const { socket, pending } = down.takeSocket();
  socket.pause();
  socket.on('error', () => socket.destroy());
  const labels: TcpConnectionLabels = {
    reporter: 'source',
    source: ctx.self,
    destination: null,
    destinationService: { host: authority, name: blocked ? BLACKHOLE : PASSTHROUGH, namespace: 'unknown' },
    responseFlags: '-',
    connectionSecurityPolicy: 'unknown',
  };
  const loggers = ctx.listener.hcm.accessLog;
  const log = loggers ? new TcpLog(loggers, socket, undefined) : null;
  const logAs = (status: number): void => log?.connect(authority, `HTTP/1.${req.versionMinor}`, req.headers, vh.name, status);
  /** `logFlag`: the access log's flag when it differs from the metrics' (a block_all answer is a direct response: "-"). */
  const refuse = (status: number, body: string, flag: string, logFlag = flag): void => {
    const s = ctx.tcpMetrics?.series({ ...labels, responseFlags: flag });
    s?.opened.inc();
    s?.closed.inc();
    logAs(status);
    log?.end(logFlag);
    if (socket.destroyed) return;
    socket.end(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  };
  if (!host || !cluster) {
    refuse(BLOCKED_STATUS, '', 'UH', '-');
    return true;
  }
  log?.target(cluster.config.name, host.key);

  host.active++;
  let connecting = true;
  const gone = (): void => {
    if (!connecting) return;
    connecting = false;
    host.active--;
    cancel();
    refuse(0, '', 'DC');
  };
  socket.once('close', gone);
  const cancel = connectTcpUpstream(cluster, host, (r) => {
    if (!connecting) return;
    connecting = false;
    socket.off('close', gone);
    if (!r.ok) {
      host.active--;
      const reply = localReply(new ProxyError(r.flag as ResponseFlag, r.reason));
      refuse(reply.status, reply.body, r.flag);
      return;
    }
    const up = r.socket;
    host.stats?.track(up);
    const s = ctx.tcpMetrics?.series(labels);
    s?.opened.inc();
    logAs(200);
    log?.connected(up);
    socket.write('HTTP/1.1 200 OK\r\n\r\n');
    splice(
      socket,
      up,
      {
        onDownstreamBytes: (n) => {
          s?.received.inc(n);
          log?.received(n);
        },
        onUpstreamBytes: (n) => {
          s?.sent.inc(n);
          log?.sent(n);
        },
        onClose: () => {
          host.active--;
          s?.closed.inc();
          log?.end('-');
        },
      },
      { downstreamHead: pending },
    );
  });
  return true;
}
