// envoy.filters.network.tcp_proxy: one accepted connection → a cluster (weighted pick) → a host →
// a new upstream connection (never pooled), then the two are spliced (./splice.ts). A host-less
// cluster closes the connection with flag UH, a failed or timed-out connect with UF.
// Metrics: Istio's TCP set (../telemetry/tcp-metrics.ts). The client side knows its peer from
// the EDS endpoint's workload metadata; the server side has no peer exchange on raw TCP, so its
// source labels are "unknown".
// TLS passthrough listeners (sniChains) first peek the ClientHello (./client-hello.ts) and proxy
// with the chain its SNI selects (no match: the default chain; none: closed with flag NR).
import net from 'node:net';
import type { ListenerConfig, TcpProxyConfig } from '../config/types.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import type { TcpConnectionLabels, TcpMetrics } from '../telemetry/tcp-metrics.js';
import { splice } from './splice.js';
import { matchServerName, peekSni } from './client-hello.js';

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
}

export class TcpProxy {
  /** Open proxied connections (admin, drain). */
  active = 0;

  constructor(private readonly deps: TcpProxyDeps) {}

  accept(down: net.Socket, listener: ListenerConfig): void {
    const chains = listener.sniChains;
    if (!chains) {
      this.proxy(down, listener, listener.tcpProxy, null);
      return;
    }
    // TLS passthrough: the chain is picked by the ClientHello's SNI; the peeked bytes go first.
    down.setNoDelay(true);
    peekSni(down, SNI_TIMEOUT_MS, (sni, head) => {
      this.proxy(down, listener, matchServerName(chains, sni)?.tcpProxy ?? listener.tcpProxy, head);
    });
  }

  private proxy(down: net.Socket, listener: ListenerConfig, cfg: TcpProxyConfig | undefined, head: Buffer | null): void {
    const inbound = listener.direction === 'INBOUND';
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
      source: inbound ? null : this.deps.self,
      destination: inbound ? this.deps.self : null,
      destinationService: cluster?.config.service ?? null,
      responseFlags: '-',
      connectionSecurityPolicy: inbound ? 'none' : 'unknown',
    };
    const host = cluster?.pick();
    if (!cluster || !host) {
      this.fail(down, labels, cluster ? 'UH' : 'NC');
      return;
    }
    if (!inbound) labels.destination = peerFromEndpoint(host.endpoint.workload, host.endpoint.serviceAccount);
    host.active++;
    let done = false;
    const up = net.connect({ host: host.address, port: host.port, allowHalfOpen: true, noDelay: true });
    host.stats?.track(up);
    const timer = setTimeout(() => failConnect(), cluster.config.connectTimeoutMs > 0 ? cluster.config.connectTimeoutMs : 10_000);
    const failConnect = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      host.active--;
      up.destroy();
      this.fail(down, labels, 'UF');
    };
    const downGone = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      host.active--;
      up.destroy();
      const s = this.deps.metrics.series({ ...labels, responseFlags: 'DC' });
      s.opened.inc();
      s.closed.inc();
    };
    up.once('error', failConnect);
    down.once('close', downGone);
    down.on('error', () => down.destroy());
    up.once('connect', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      up.off('error', failConnect);
      down.off('close', downGone);
      const s = this.deps.metrics.series(labels);
      s.opened.inc();
      this.active++;
      splice(
        down,
        up,
        {
          onDownstreamBytes: (n) => s.received.inc(n),
          onUpstreamBytes: (n) => s.sent.inc(n),
          onClose: () => {
            this.active--;
            host.active--;
            s.closed.inc();
          },
        },
        { downstreamHead: head },
      );
    });
  }

  private fail(down: net.Socket, labels: TcpConnectionLabels, flag: string): void {
    const s = this.deps.metrics.series({ ...labels, responseFlags: flag });
    s.opened.inc();
    s.closed.inc();
    down.destroy();
  }
}
