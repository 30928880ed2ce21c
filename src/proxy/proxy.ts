// Wires one proxy process: ADS client → config manager → listeners, routes, clusters; the HTTP
// connection manager per accepted connection; admin and metrics servers.
import type http from 'node:http';
import type net from 'node:net';
import { AdsClient } from './xds/ads-client.js';
import { ConfigManager } from './config/config-manager.js';
import type { ClusterConfig, EndpointConfig, ListenerConfig, RouteTable } from './config/types.js';
import { ListenerManager } from './listener/listener-manager.js';
import { ClusterManager } from './upstream/cluster-manager.js';
import { clusterMetricsHooks } from './upstream/cluster-metrics.js';
import { DownstreamConnection } from './http/downstream.js';
import { serveH2, sniffProtocol } from './http/h2/server.js';
import type { HcmContext, ProxyStats } from './http/context.js';
import { startAdminServer } from './admin/admin-server.js';
import { Registry } from '../telemetry/prom.js';
import { IstioMetrics } from './telemetry/istio-metrics.js';
import { encodePeerMetadata } from '../telemetry/peer-metadata.js';
import { nodeId, type PeerMetadata, type ProxyMetadata } from '../xds/node-metadata.js';
import type { XdsType } from '../xds/protos.js';
import { registerRetryMetrics } from './http/retry/controller.js';
import { Drainer, type DrainStatus } from './drain.js';
import { TcpProxy } from './network/tcp-proxy.js';
import { RbacMetrics } from './security/rbac/metrics.js';
import { TcpMetrics } from './telemetry/tcp-metrics.js';
import { startTelemetryUpkeep, type TelemetryUpkeep } from './telemetry/upkeep.js';
import { canonicalOf } from './telemetry/canonical.js';
import { httpAccessLogFor } from './telemetry/access-log/http-tap.js';
import { Tracers } from './telemetry/tracing/tracer.js';
import { registerAccessLogMetrics } from './telemetry/access-log/writer.js';
import { reporterOverridesOf, tcpReporterOverridesOf } from './telemetry/metric-overrides.js';
import { CertificateManager, type CertManagerOptions } from './security/cert-manager.js';
import { identityHooks } from './security/proxy-identity.js';
import type { Locality } from '../api/locality.js';
import { PLAINTEXT, type ConnectionSecurity, type IdentityProvider } from './security/identity.js';
import { InboundTls } from './security/inbound-tls.js';
import { upstreamTls } from './security/upstream-tls.js';
import { registerTlsMetrics } from './security/tls-metrics.js';

export interface ProxyOptions {
  xdsAddress: string;
  metadata: ProxyMetadata;
  /** xDS node.locality (--locality region/zone/subzone); absent: none. */
  locality?: Locality;
  adminPort: number;
  statsPort: number;
  log: (msg: string) => void;
  /** Drain: how long listeners keep accepting, and the bound on the whole drain. */
  drainGraceMs?: number;
  drainTimeoutMs?: number;
  /** Workload identity from the control plane's CA; without it the proxy has no certificate. */
  identity?: Omit<CertManagerOptions, 'log'>;
  /** A certificate source other than the CA (file-mounted certificates, --cert-dir). */
  identityProvider?: IdentityProvider;
  /** Series idle this long leave the scrape (0: never). Default DEFAULT_METRICS_EXPIRY_MS. */
  metricsExpiryMs?: number;
}

export const DEFAULT_DRAIN_GRACE_MS = 1_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;

export class Proxy {
  readonly registry = new Registry();
  readonly metrics = new IstioMetrics(this.registry);
  private readonly tcpMetrics = new TcpMetrics(this.registry);
  private readonly rbacMetrics = new RbacMetrics(this.registry);
  readonly clusters: ClusterManager = new ClusterManager(clusterMetricsHooks(this.registry, () => this.clusters));
  private routes: ReadonlyMap<string, RouteTable> = new Map();
  private readonly contexts = new Map<string, HcmContext>();
  readonly listeners: ListenerManager;
  readonly config: ConfigManager;
  readonly ads: AdsClient;
  private readonly self: PeerMetadata;
  private readonly selfHeader: string;
  private readonly stats: ProxyStats = { downstreamRq: 0, downstreamCxActive: 0, downstreamCxTotal: 0, byFlag: new Map() };
  private readonly drainer: Drainer;
  private readonly tcp: TcpProxy;
  private readonly inboundTls: InboundTls;
  private servers: http.Server[] = [];
  private readonly startedAt = Date.now();
  /** This proxy's SVID and trust bundle (IdentityProvider); null when not configured. */
  readonly identity: CertificateManager | null;
  /** What mTLS uses: file-mounted certificates, else the CA-issued ones; undefined: no mTLS. */
  private readonly mtlsIdentity: IdentityProvider | undefined;
  private readonly upkeep: TelemetryUpkeep;
  /** Span exporters per tracing provider (./telemetry/tracing/). */
  readonly tracers: Tracers;

  constructor(private readonly opts: ProxyOptions) {
    this.identity = opts.identity ? new CertificateManager({ ...opts.identity, log: opts.log }) : null;
    this.mtlsIdentity = opts.identityProvider ?? this.identity ?? undefined;
    const m = opts.metadata;
    this.self = {
      workload: m.WORKLOAD_NAME,
      namespace: m.NAMESPACE,
      app: m.LABELS.app ?? '',
      version: m.LABELS.version ?? '',
      serviceAccount: m.SERVICE_ACCOUNT,
      principal: '',
      cluster: m.CLUSTER_ID,
      ...canonicalOf(m.LABELS, m.WORKLOAD_NAME),
    };
    this.selfHeader = encodePeerMetadata(this.self);
    this.tracers = new Tracers(this.clusters, { id: nodeId(m), serviceName: `${m.WORKLOAD_NAME}.${m.NAMESPACE}` });
    this.tracers.registerMetrics(this.registry);
    this.tcp = new TcpProxy({ clusters: this.clusters, metrics: this.tcpMetrics, self: this.self, selfWithPrincipal: () => this.selfWithPrincipal(), rbacMetrics: this.rbacMetrics });
    const router = m.type === 'router';
    this.drainer = new Drainer({
      graceMs: opts.drainGraceMs ?? DEFAULT_DRAIN_GRACE_MS,
      timeoutMs: opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      // A sidecar keeps its outbound listener: the app may still call out while it stops.
      stopAccepting: () => this.listeners.stopAccepting((l) => router || l.direction === 'INBOUND'),
      log: opts.log,
    });
    this.listeners = new ListenerManager((socket, name) => this.accept(socket, name), opts.log);
    this.config = new ConfigManager({
      setClusters: (c: ReadonlyMap<string, ClusterConfig>) => this.clusters.setClusters(c),
      setEndpoints: (e: ReadonlyMap<string, EndpointConfig[]>) => this.clusters.setEndpoints(e),
      setListeners: (l: ReadonlyMap<string, ListenerConfig>) => this.setListeners(l),
      setRoutes: (r: ReadonlyMap<string, RouteTable>) => {
        this.routes = r;
      },
      subscribe: (type: XdsType, names: string[]) => this.ads.subscribe(type, names),
      ...identityHooks(this.identity).sink,
    });
    this.ads = new AdsClient({
      address: opts.xdsAddress,
      node: { id: nodeId(m), cluster: m.CLUSTER_ID, metadata: m, locality: opts.locality },
      handler: this.config,
      log: opts.log,
    });
    registerRetryMetrics(this.registry);
    this.upkeep = startTelemetryUpkeep(this.registry, opts.metricsExpiryMs);
    registerAccessLogMetrics(this.registry, opts.log);
    this.inboundTls = new InboundTls(this.mtlsIdentity, opts.log);
    upstreamTls.setIdentity(this.mtlsIdentity);
    registerTlsMetrics(this.registry, this.inboundTls.stats);
    this.registry.gauge({
      name: 'envoy_server_uptime',
      help: 'Seconds since the proxy started.',
      collect: () => [{ labels: [], value: Math.floor((Date.now() - this.startedAt) / 1000) }],
    });
    this.registry.gauge({
      name: 'envoy_server_memory_allocated',
      help: 'Heap bytes in use.',
      collect: () => [{ labels: [], value: process.memoryUsage().heapUsed }],
    });
    this.registry.gauge({
      name: 'envoy_http_downstream_cx_active',
      help: 'Open downstream connections.',
      collect: () => [{ labels: [], value: this.stats.downstreamCxActive }],
    });
  }

  private selfMtls: PeerMetadata | null = null;

  /** `self` carrying the current SPIFFE ID, rebuilt only when the ID changes (metrics memoize peers by object). */
  private selfWithPrincipal(): PeerMetadata {
    const id = this.mtlsIdentity?.certificate()?.spiffeId ?? '';
    if (!id) return this.self;
    if (this.selfMtls?.principal !== id) this.selfMtls = { ...this.self, principal: id };
    return this.selfMtls;
  }

  private setListeners(l: ReadonlyMap<string, ListenerConfig>): void {
    this.metrics.setOverrides(reporterOverridesOf(l.values()));
    this.tcpMetrics.setOverrides(tcpReporterOverridesOf(l.values()));
    for (const [name, cfg] of l) {
      const ctx: HcmContext = {
        listener: cfg,
        routes: cfg.hcm.inlineRoutes
          ? () => cfg.hcm.inlineRoutes
          : () => this.routes.get(cfg.hcm.rdsName ?? ''),
        clusters: this.clusters,
        metrics: this.metrics,
        self: this.self,
        selfHeader: this.selfHeader,
        stats: this.stats,
        draining: () => this.drainer.draining,
        accessLog: httpAccessLogFor(cfg.hcm.accessLog, this.metrics.needsAttributes),
        rbacMetrics: this.rbacMetrics,
        tcpMetrics: this.tcpMetrics,
        selfSpiffeId: () => this.mtlsIdentity?.certificate()?.spiffeId,
        selfWithPrincipal: () => this.selfWithPrincipal(),
        ...(cfg.hcm.tracing ? { tracing: this.tracers.forListener(cfg.hcm.tracing, cfg.direction === 'INBOUND') } : {}),
      };
      this.contexts.set(name, ctx);
    }
    for (const name of [...this.contexts.keys()]) if (!l.has(name)) this.contexts.delete(name);
    this.listeners.update(l);
  }

  private accept(socket: net.Socket, listenerName: string): void {
    const first = this.contexts.get(listenerName);
    if (!first) {
      socket.destroy();
      return;
    }
    // Inbound mTLS chains: TLS terminated and the peer verified first (./security/inbound-tls.ts).
    if (first.listener.inboundTls) {
      const halfOpen = first.listener.tcpProxy !== undefined;
      this.inboundTls.accept(socket, first.listener.inboundTls, (s, security) => this.serve(s, listenerName, first, security), halfOpen);
      return;
    }
    this.serve(socket, listenerName, first, PLAINTEXT);
  }

  private serve(socket: net.Socket, listenerName: string, first: HcmContext, security: ConnectionSecurity): void {
    if (first.listener.tcpProxy || first.listener.sniChains) {
      this.tcp.accept(socket, first.listener, security);
      return;
    }
    let last = first;
    let lastBase = first;
    if (security !== PLAINTEXT) last = { ...first, security };
    // Each request sees the listener's current config; a removed listener keeps its last one.
    const ctx = (): HcmContext => {
      const c = this.contexts.get(listenerName);
      if (c && c !== lastBase) {
        lastBase = c;
        last = security === PLAINTEXT ? c : { ...c, security };
      }
      return last;
    };
    const inbound = this.opts.metadata.type === 'router' || first.listener.direction === 'INBOUND';
    // HTTP/1.1, or h2c when the connection opens with the HTTP/2 preface (./http/h2/server.ts).
    sniffProtocol(
      socket,
      (s) => {
        s.once('close', this.drainer.track(new DownstreamConnection(s, ctx), inbound));
        s.resume();
      },
      (s) => s.once('close', this.drainer.track(serveH2(s, ctx), inbound)),
    );
    // A socket that was peeked (inbound mTLS classification) is paused: start reading again.
    socket.resume();
  }

  /** Starts draining (idempotent); resolves when inbound connections are gone or the drain timed out. */
  drain(): Promise<void> {
    return this.drainer.drain();
  }

  drainStatus(): DrainStatus {
    return this.drainer.status();
  }

  ready(): { ok: boolean; reason: string } {
    if (!this.config.initialized()) return { ok: false, reason: 'waiting for initial config (CDS, EDS, LDS, RDS)' };
    if (!this.listeners.allBound()) return { ok: false, reason: 'listeners not bound yet' };
    if (this.drainer.draining) return { ok: false, reason: 'draining' };
    const notReady = identityHooks(this.identity).notReady();
    if (notReady) return { ok: false, reason: notReady };
    return { ok: true, reason: '' };
  }

  async start(): Promise<void> {
    const ip = this.opts.metadata.INSTANCE_IP;
    const backend = {
      ready: () => this.ready(),
      configDump: () => ({
        node: { id: nodeId(this.opts.metadata), metadata: this.opts.metadata, ...(this.opts.locality ? { locality: this.opts.locality } : {}) },
        xds: this.ads.status(),
        versions: this.config.versions,
        clusters: [...this.config.accepted.cluster.values()],
        endpoints: [...this.config.accepted.endpoint.values()],
        listeners: [...this.config.accepted.listener.values()],
        routes: [...this.config.accepted.route.values()],
      }),
      prometheus: () => this.registry.render(),
      clusters: () =>
        this.clusters.names().map((n) => ({ name: n, hosts: (this.clusters.get(n)?.hosts ?? []).map((h) => ({ address: h.key, active: h.active, idle: h.idle.length, priority: h.endpoint.priority ?? 0 })) })),
      listeners: () => this.listeners.all().map((h) => ({ name: h.config.name, address: `${h.config.address}:${h.config.port}`, bound: h.bound, error: h.error })),
      drain: () => {
        void this.drainer.drain();
      },
      drainStatus: () => this.drainer.status(),
      certs: () => identityHooks(this.identity).certs(),
    };
    this.servers.push(await startAdminServer(ip, this.opts.adminPort, backend, true));
    if (this.opts.statsPort > 0) this.servers.push(await startAdminServer(ip, this.opts.statsPort, backend, false));
    this.ads.subscribe('cluster', '*');
    this.ads.subscribe('listener', '*');
    identityHooks(this.identity).start((type, names) => this.ads.subscribe(type, names));
    this.ads.start();
  }

  async stop(): Promise<void> {
    this.ads.stop();
    this.identity?.stop();
    this.upkeep.stop();
    this.drainer.dispose();
    this.listeners.closeAll();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
