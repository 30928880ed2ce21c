// envoy.filters.network.tcp_proxy: one accepted connection → a cluster (weighted pick) → a host →
// a new upstream connection (never pooled), then the two are spliced (./splice.ts). A host-less
// cluster closes the connection with flag UH, a failed or timed-out connect with UF; over the
// cluster's max_connections the connection waits in its pending queue, and beyond that queue's
// bound it is closed with UO (./tcp-upstream.ts, which also feeds outlier detection). Connected: idle_timeout and max_downstream_connection_duration (./tcp-timeouts.ts).
// Metrics: Istio's TCP set (../telemetry/tcp-metrics.ts). Over mesh mTLS with ALPN
// istio-peer-exchange both sidecars first exchange workload metadata (./peer-exchange.ts), so the
// server knows the source workload and the client the destination's; without it the client knows
// its peer from the EDS endpoint's workload metadata and the server only the caller's principal.
// TLS passthrough listeners (sniChains) first peek the ClientHello (./client-hello.ts) and proxy
// with the chain its SNI selects (no match: the default chain; none: closed with flag NR).
import type net from 'node:net';
import type { ListenerConfig, TcpProxyConfig } from '../config/types.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import type { TcpConnectionLabels, TcpMetrics } from '../telemetry/tcp-metrics.js';
import { splice } from './splice.js';
import { matchServerName, peekSni } from './client-hello.js';
import { connectTcpUpstream } from './tcp-upstream.js';
import { startTcpTimers } from './tcp-timeouts.js';
import { TcpLog } from '../telemetry/access-log/tcp-log.js';
import { authorizeConnection } from '../security/rbac/check.js';
import type { RbacMetrics } from '../security/rbac/metrics.js';
import { PLAINTEXT, type ConnectionSecurity } from '../security/identity.js';
import { principalPeer } from '../security/peer-identity.js';
import { isMutualTls } from '../security/inbound-tls.js';
import { verifiedPeerOf } from '../security/upstream-tls.js';
import { exchangePeerMetadata, exchangedPeer, negotiatedPeerExchange } from './peer-exchange.js';

/** How long a TLS passthrough listener waits for the ClientHello before using its default chain. */
const SNI_TIMEOUT_MS = 15_000;

/** Weighted pick among the tcp_proxy's clusters. */
export function pickTcpCluster(cfg: TcpProxyConfig, rand: number): string {
  const c = cfg.clusters;
  let x = rand * cfg.totalWeight;
  for (const wc of c) {
    if (x < wc.weight) return wc.name;
    x -= wc.weight;
  }
  return c[c.length - 1]?.name ?? '';
}

const peers = new Map<string, PeerMetadata>();

/** Istio workload metadata "name;namespace;app;version;cluster" as a peer, one object per value. */
export function peerFromEndpoint(workload: string | undefined, sa: string | undefined): PeerMetadata | null {
  if (!workload) return null;
  const key = `${workload}|${sa ?? ''}`;
  let p = peers.get(key);
  if (p) return p;
  if (peers.size > 10_000) peers.clear();
  const [name, namespace, app, version, cluster] = workload.split(';');
  p = { workload: name ?? '', namespace: namespace ?? '', app: app ?? '', version: version ?? '', serviceAccount: sa ?? '', principal: '', cluster: cluster ?? '' };
  peers.set(key, p);
  return p;
}

export interface TcpProxyDeps {
  clusters: ClusterManager;
  metrics: TcpMetrics;
  self: PeerMetadata;
  /** This proxy's metadata with its own SPIFFE ID, for reporting over verified mTLS (as HTTP does). */
  selfWithPrincipal?: () => PeerMetadata;
  rbacMetrics?: RbacMetrics;
}

export class TcpProxy {
  /** Open proxied connections (admin, drain). */
  active = 0;

  constructor(private readonly deps: TcpProxyDeps) {}

  accept(down: net.Socket, listener: ListenerConfig, security: ConnectionSecurity = PLAINTEXT): void {
    // Network RBAC (AuthorizationPolicy at L4): a denied connection is closed before any upstream
    // connection exists. Envoy sets no response flag for it; the counter names the policy.
    if (listener.networkRbac && authorizeConnection(listener, down, this.deps.rbacMetrics, { security }) !== undefined) {
      this.fail(down, this.labels(listener, listener.tcpProxy), '-');
      return;
    }
    const chains = listener.sniChains;
    if (!chains && isMutualTls(security) && negotiatedPeerExchange(down)) {
      // Metadata exchange first (a caller that closes meanwhile is gone: nothing to proxy).
      const spiffeId = security.peerSpiffeId;
      exchangePeerMetadata(down, this.deps.self, (r) => {
        if (r.closed || down.destroyed) return;
        this.proxy(down, listener, listener.tcpProxy, r.head, security, undefined, { peer: r.peer ? exchangedPeer(r.peer, spiffeId) : null });
      });
      return;
    }
    if (!chains) {
      this.proxy(down, listener, listener.tcpProxy, null, security);
      return;
    }
    // TLS passthrough: the chain is picked by the ClientHello's SNI; the peeked bytes go first.
    down.setNoDelay(true);
    peekSni(down, SNI_TIMEOUT_MS, (sni, head) => {
      this.proxy(down, listener, matchServerName(chains, sni)?.tcpProxy ?? listener.tcpProxy, head, security, sni ?? undefined);
    });
  }

  private proxy(
    down: net.Socket,
    listener: ListenerConfig,
    cfg: TcpProxyConfig | undefined,
    head: Buffer | null,
    security: ConnectionSecurity = PLAINTEXT,
    sni?: string,
    exchanged?: { peer: PeerMetadata | null },
  ): void {
    const inbound = listener.direction === 'INBOUND';
    const log = cfg?.accessLog ? new TcpLog(cfg.accessLog, down, sni) : null;
    if (!cfg) {
      // No chain for this connection (no SNI match and no default chain): Envoy's NR.
      const labels: TcpConnectionLabels = {
        reporter: inbound ? 'destination' : 'source',
        source: inbound ? null : this.deps.self,
        destination: inbound ? this.deps.self : null,
        destinationService: null,
        responseFlags: '-',
        connectionSecurityPolicy: inbound ? 'none' : 'unknown',
      };
      this.fail(down, labels, 'NR');
      return;
    }
    down.pause();
    down.setNoDelay(true);
    const cluster = this.deps.clusters.get(pickTcpCluster(cfg, Math.random()));
    const labels: TcpConnectionLabels = {
      reporter: inbound ? 'destination' : 'source',
      // An mTLS caller: the exchanged metadata (principal from the certificate), else the principal alone.
      source: inbound ? (exchanged?.peer ?? (security.peerPrincipal ? principalPeer(`spiffe://${security.peerPrincipal}`) : null)) : this.deps.self,
      destination: inbound ? (security.policy === 'mutual_tls' && this.deps.selfWithPrincipal ? this.deps.selfWithPrincipal() : this.deps.self) : null,
      destinationService: cluster?.config.service ?? null,
      responseFlags: '-',
      connectionSecurityPolicy: inbound ? security.policy : 'unknown',
    };
    const host = cluster?.pick();
    log?.target(cluster?.config.name, host?.key);
    if (!cluster || !host) {
      log?.end(cluster ? 'UH' : 'NC');
      this.fail(down, labels, cluster ? 'UH' : 'NC');
      return;
    }
    if (!inbound) labels.destination = peerFromEndpoint(host.endpoint.workload, host.endpoint.serviceAccount);
    const acceptedAt = performance.now();
    host.active++;
    let connecting = true;
    const downGone = (): void => {
      if (!connecting) return;
      connecting = false;
      host.active--;
      cancel();
      log?.end('DC');
      const s = this.deps.metrics.series({ ...labels, responseFlags: 'DC' });
      s.opened.inc();
      s.closed.inc();
    };
    const connected = (up: net.Socket, upstreamHead: Buffer | null): void => {
      const s = this.deps.metrics.series(labels);
      let closedSeries = s;
      s.opened.inc();
      this.active++;
      let endFlag = '-';
      const timers = startTcpTimers(cfg, acceptedAt, (flag) => {
        if (flag !== '-') closedSeries = this.deps.metrics.series({ ...labels, responseFlags: flag });
        endFlag = flag;
        down.destroy();
        up.destroy();
      });
      log?.connected(up);
      splice(
        down,
        up,
        {
          onDownstreamBytes: (n) => {
            s.received.inc(n);
            timers.activity();
            log?.received(n);
          },
          onUpstreamBytes: (n) => {
            s.sent.inc(n);
            timers.activity();
            log?.sent(n);
          },
          onClose: () => {
            timers.stop();
            log?.end(endFlag);
            this.active--;
            host.active--;
            closedSeries.closed.inc();
          },
        },
        { downstreamHead: head, upstreamHead },
      );
    };
    down.once('close', downGone);
    down.on('error', () => down.destroy());
    const cancel = connectTcpUpstream(cluster, host, (r) => {
      if (!connecting) return;
      connecting = false;
      down.off('close', downGone);
      if (!r.ok) {
        host.active--;
        log?.end(r.flag, r.reason);
        this.fail(down, labels, r.flag);
        return;
      }
      const up = r.socket;
      host.stats?.track(up);
      const spiffeId = inbound ? undefined : verifiedPeerOf(up);
      // Over verified mTLS the source reporter names its own identity, as for HTTP.
      if (spiffeId !== undefined && this.deps.selfWithPrincipal) labels.source = this.deps.selfWithPrincipal();
      if (spiffeId === undefined || !negotiatedPeerExchange(up)) {
        connected(up, null);
        return;
      }
      // Metadata exchange with the server sidecar before any app byte (a downstream that goes
      // away meanwhile tears the upstream down, which ends the exchange).
      const downGoneDuringExchange = (): void => void up.destroy();
      down.once('close', downGoneDuringExchange);
      exchangePeerMetadata(up, this.deps.self, (x) => {
        down.off('close', downGoneDuringExchange);
        if (x.closed || down.destroyed) {
          host.active--;
          up.destroy();
          log?.end(down.destroyed ? 'DC' : '-');
          this.fail(down, labels, down.destroyed ? 'DC' : '-');
          return;
        }
        if (x.peer) labels.destination = exchangedPeer(x.peer, spiffeId);
        connected(up, x.head);
      });
    });
  }

  private labels(listener: ListenerConfig, cfg: TcpProxyConfig | undefined): TcpConnectionLabels {
    const inbound = listener.direction === 'INBOUND';
    const cluster = cfg?.clusters.length === 1 ? this.deps.clusters.get(cfg.clusters[0]?.name ?? '') : undefined;
    return {
      reporter: inbound ? 'destination' : 'source',
      source: inbound ? null : this.deps.self,
      destination: inbound ? this.deps.self : null,
      destinationService: cluster?.config.service ?? null,
      responseFlags: '-',
      connectionSecurityPolicy: inbound ? 'none' : 'unknown',
    };
  }

  private fail(down: net.Socket, labels: TcpConnectionLabels, flag: string): void {
    const s = this.deps.metrics.series({ ...labels, responseFlags: flag });
    s.opened.inc();
    s.closed.inc();
    down.destroy();
  }
}
