// Clusters with their hosts (from EDS or inline), a picker each, a connection pool with circuit
// breakers each, and outlier detection where configured. Hosts belong to one cluster (as in
// Envoy: limits, pools and ejections are per cluster). Config updates replace cluster entries
// whole but keep Host objects (and their pooled connections) and pools for what remains.
import type { ClusterConfig, EndpointConfig } from '../config/types.js';
import { ProxyError } from '../errors.js';
import { ClusterPool, type AcquireCallback, type Connector } from './circuit-breaker.js';
import { Host } from './host.js';
import type { ClusterStats } from './cluster-stats.js';
import { acquireStream, closeSession } from '../http/h2/client-sessions.js';
import { selectTransport } from '../security/tls-config.js';
import type { Picker } from './lb/picker.js';
import { pickerFor } from './lb/make.js';
import { eligibleHosts, OutlierDetector, outlierStatus, realClock, type OutlierClock } from './outlier/detector.js';
import { Priorities } from './lb/priorities.js';

export class ClusterRuntime {
  private hostList: Host[] = [];
  /** Hosts by EDS priority, with a picker each (level 0 uses `picker`); see lb/priority.ts. */
  private readonly priorities: Priorities;
  readonly picker: Picker;
  readonly outlier: OutlierDetector | null;
  /** Requests of this cluster now in a retry (bounded by connectionPool.http.maxRetries). */
  activeRetries = 0;

  constructor(
    readonly config: ClusterConfig,
    readonly pool: ClusterPool,
    clock: OutlierClock,
  ) {
    this.picker = pickerFor(config, () => clock.now());
    this.outlier = config.outlierDetection ? new OutlierDetector(config.outlierDetection, () => this.hosts, clock) : null;
    this.priorities = new Priorities(this.picker, () => pickerFor(config, () => clock.now()));
  }

  get hosts(): Host[] {
    return this.hostList;
  }

  set hosts(hosts: Host[]) {
    this.hostList = hosts;
    this.priorities.setHosts(hosts);
  }

  /** Whether some level other than `excluded` has healthy hosts (previous_priorities). */
  availableExcluding(excluded: ReadonlySet<number>): boolean {
    return this.priorities.availableExcluding(this.outlier, this.config.healthyPanicThreshold, excluded);
  }

  /** Number of priority levels (1 unless EDS sent priorities). */
  get priorityLevels(): number {
    return this.priorities.levelCount;
  }

  /**
   * Picks among the hosts not ejected by outlier detection (all of them in panic mode);
   * `hashKey` is the request's hash for RING_HASH / MAGLEV. With several priority levels, the
   * level first (lb/priority.ts); `excluded` levels are skipped where another is available.
   */
  pick(hashKey?: number, excluded?: ReadonlySet<number>): Host | undefined {
    const od = this.outlier;
    if (this.priorities.levelCount > 1) return this.priorities.pick(od, this.config.healthyPanicThreshold, hashKey, excluded);
    return this.picker.pick(od ? eligibleHosts(this.hosts, od, this.config.healthyPanicThreshold) : this.hosts, hashKey);
  }

  /**
   * A retry's pick with Envoy's previous_hosts predicate: among the eligible hosts not `tried` yet
   * when there are any, else among all. Least-request's two choices would otherwise keep
   * landing on a fast-failing host (it never has requests in flight). Consistent-hash clusters
   * re-pick from the whole ring (filtering would rebuild it per retry).
   */
  pickUntried(tried: readonly Host[], excluded?: ReadonlySet<number>): Host | undefined {
    const policy = this.config.lbPolicy;
    const hashed = policy === 'RING_HASH' || policy === 'MAGLEV';
    if (tried.length === 0 || hashed) return this.pick(undefined, excluded);
    const od = this.outlier;
    if (this.priorities.levelCount > 1) return this.priorities.pick(od, this.config.healthyPanicThreshold, undefined, excluded, tried);
    const eligible = od ? eligibleHosts(this.hosts, od, this.config.healthyPanicThreshold) : this.hosts;
    const rest = eligible.filter((h) => !tried.includes(h));
    return this.picker.pick(rest.length > 0 ? rest : eligible);
  }


  /**
   * The result of one upstream request to `host`, for outlier detection: the response status when
   * the response started, else what the flag says happened (connect failure, reset, timeout).
   */
  recordResult(host: Host, flag: string, status: number, responseStarted: boolean): void {
    if (!flag.includes('UO')) this.pool.stats.request(responseStarted ? status : 0);
    const od = this.outlier;
    if (!od) return;
    const s = outlierStatus(flag, status, responseStarted);
    if (s !== null) od.report(host, s);
  }

  /** A retried (abandoned) attempt's result: a response status, or a failure flag. */
  recordAttempt(host: Host, outcome: { kind: 'response'; status: number } | { kind: 'reset'; flag: string }): void {
    if (outcome.kind === 'response') this.recordResult(host, '-', outcome.status, true);
    else this.recordResult(host, outcome.flag, 0, false);
  }
}

export interface ClusterManagerOptions {
  /** Called when a request overflows a circuit breaker (pending queue or max_requests). */
  onOverflow?: (cluster: string) => void;
  /** Called when a TCP proxy connection overflows max_connections (upstream_cx_overflow). */
  onCxOverflow?: (cluster: string) => void;
  clock?: OutlierClock;
  connector?: Connector;
}

export class ClusterManager {
  private clusters = new Map<string, ClusterRuntime>();
  private endpoints = new Map<string, EndpointConfig[]>();
  private readonly hostsByKey = new Map<string, Host>();
  private readonly pools = new Map<string, ClusterPool>();
  /** Never cleared for removed hosts: a request already bound to one still gets its connection. */
  private readonly poolOf = new WeakMap<Host, ClusterPool>();

  constructor(private readonly opts: ClusterManagerOptions = {}) {}

  get(name: string): ClusterRuntime | undefined {
    return this.clusters.get(name);
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  edsNames(): string[] {
    return [...this.clusters.values()].filter((c) => c.config.type === 'EDS').map((c) => c.config.edsServiceName);
  }

  /** Requests that overflowed each cluster's circuit breakers, and hosts ejected now. */
  stats(): { cluster: string; overflows: number; ejectionsActive: number; ejectionsTotal: number; upstream: ClusterStats }[] {
    return [...this.clusters.values()].map((c) => ({
      cluster: c.config.name,
      upstream: c.pool.stats,
      overflows: c.pool.overflows,
      ejectionsActive: c.outlier?.ejectedCount ?? 0,
      ejectionsTotal: c.outlier?.ejectionsTotal ?? 0,
    }));
  }

  setClusters(configs: ReadonlyMap<string, ClusterConfig>): void {
    const next = new Map<string, ClusterRuntime>();
    for (const [name, cfg] of configs) {
      const old = this.clusters.get(name);
      if (old && JSON.stringify(old.config) === JSON.stringify(cfg)) {
        next.set(name, old);
        continue;
      }
      old?.outlier?.stop();
      let pool = this.pools.get(name);
      if (pool) pool.config = cfg.pool;
      else {
        pool = new ClusterPool(name, cfg.pool, () => this.clusters.get(name)?.hosts ?? [], this.opts.connector, this.opts.onOverflow, this.opts.onCxOverflow);
        this.pools.set(name, pool);
      }
      const rt = new ClusterRuntime(cfg, pool, this.opts.clock ?? realClock);
      if (old) rt.hosts = old.hosts;
      next.set(name, rt);
    }
    for (const [name, c] of this.clusters) {
      if (next.has(name)) continue;
      c.outlier?.stop();
      this.pools.get(name)?.close();
      this.pools.delete(name);
    }
    this.clusters = next;
    this.rebuildHosts();
  }

  setEndpoints(byCluster: ReadonlyMap<string, EndpointConfig[]>): void {
    this.endpoints = new Map(byCluster);
    this.rebuildHosts();
  }

  private rebuildHosts(): void {
    const used = new Set<string>();
    for (const c of this.clusters.values()) {
      if (c.config.originalDst) continue; // hosts come from requests (original-dst.ts)
      const eps = c.config.type !== 'EDS' ? c.config.staticEndpoints : this.endpoints.get(c.config.edsServiceName) ?? [];
      c.hosts = eps.map((ep) => {
        const key = `${c.config.name}|${ep.address}:${ep.port}`;
        used.add(key);
        let h = this.hostsByKey.get(key);
        if (!h) {
          h = new Host(ep.address, ep.port, ep);
          h.addedAt = (this.opts.clock ?? realClock).now();
          this.hostsByKey.set(key, h);
        } else {
          h.endpoint = ep;
        }
        this.poolOf.set(h, c.pool);
        // A changed transport (mTLS on/off, other TLS settings): pooled connections are not reused.
        const transport = selectTransport(c.config.transport, ep.transportMatch);
        if ((transport?.key ?? null) !== (h.transport?.key ?? null)) {
          h.closeIdle();
          closeSession(h);
        }
        h.transport = transport;
        h.stats = c.pool.stats;
        return h;
      });
    }
    for (const [key, h] of this.hostsByKey) {
      if (!used.has(key)) {
        h.closeIdle();
        closeSession(h);
        this.hostsByKey.delete(key);
      }
    }
  }

  /** A host made for one request's destination (ORIGINAL_DST, ./original-dst.ts) joins `cluster`'s pool. */
  adoptHost(cluster: ClusterRuntime, host: Host): void {
    this.poolOf.set(host, cluster.pool);
    host.stats = cluster.pool.stats;
  }

  /**
   * Gets a connection to `host` through its cluster's pool: an idle pooled one (reused = true), a
   * new one, or after waiting in the pending queue; UO when the circuit breakers say no. The
   * callback may run synchronously. Returns a function that gives up a queued request's place.
   */
  acquire(host: Host, connectTimeoutMs: number, cb: AcquireCallback): () => void {
    const pool = this.poolOf.get(host);
    if (!pool) {
      cb(new ProxyError('UH', 'host has no cluster'), null, false);
      return () => {};
    }
    if (pool.config.http2) {
      if (pool.overflowsRequests(cb)) return () => {};
      return acquireStream(host, connectTimeoutMs, pool.config.idleTimeoutMs, cb);
    }
    return pool.acquire(host, connectTimeoutMs, cb);
  }
}

export { ProxyError };
