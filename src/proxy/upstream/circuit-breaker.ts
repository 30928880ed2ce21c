// One cluster's connection pool with Envoy's circuit breakers: max_connections caps connections
// open (or opening) across the cluster's hosts; a request that finds no idle connection and no
// room for a new one waits in a FIFO pending queue of at most max_pending_requests, served as
// connections free up; beyond that it fails fast with UO. max_requests caps requests in flight.
// Also: max_requests_per_connection, the idle timeout of pooled connections and TCP keepalive.
// The TCP proxy takes its (never pooled) connections' slots here too (reserveConnection), waiting
// in the same queue, as Envoy's TCP pool shares the cluster's resource manager.
import { ClusterStats } from './cluster-stats.js';
import { UNLIMITED, type PoolConfig } from '../config/cluster-policy.js';
import { ProxyError } from '../errors.js';
import type { Host } from './host.js';
import { UpstreamConnection } from './upstream-connection.js';
import { applyTcpKeepalive } from '../network/tcp-keepalive.js';

export type AcquireCallback = (err: ProxyError | null, conn: UpstreamConnection | null, reused: boolean) => void;

/** Creates a connection; `onConnect` runs once when it is connected or has failed. */
export type Connector = (host: Host, connectTimeoutMs: number, onConnect: (err: ProxyError | null) => void) => UpstreamConnection;

/** A TCP proxy connection's slot of max_connections: its release function, or the failure. */
export type ReserveCallback = (err: ProxyError | null, release: (() => void) | null) => void;

interface Waiter {
  host: Host;
  connectTimeoutMs: number;
  cb: AcquireCallback;
  cancelled: boolean;
  /** Set for a TCP proxy connection waiting for a slot (then `cb` is unused). */
  tcp?: ReserveCallback;
}

/** Max idle connections kept per host. */
const MAX_IDLE = 64;

const NOOP = (): void => {};

export class ClusterPool {
  /** Envoy's upstream stats of this cluster (kept with the pool across config updates). */
  readonly stats = new ClusterStats();
  /** Connections open or opening, across this cluster's hosts. */
  open = 0;
  /** Requests that overflowed a limit (upstream_rq_pending_overflow). */
  overflows = 0;
  /** Times a connection could not be opened because of max_connections (upstream_cx_overflow). */
  cxOverflows = 0;
  private waiters: Waiter[] = [];
  private waiterHead = 0;

  constructor(
    readonly name: string,
    public config: PoolConfig,
    /** The cluster's current hosts (idle connections of removed hosts are not reused). */
    private readonly hosts: () => readonly Host[],
    private readonly connector: Connector = (h, t, cb) => new UpstreamConnection(h, t, cb),
    private readonly onOverflow: (cluster: string) => void = NOOP,
    private readonly onCxOverflow: (cluster: string) => void = NOOP,
  ) {}

  /**
   * For the TCP proxy (one upstream connection per downstream one, never pooled), as Envoy's TCP
   * connection pool: a slot of max_connections (shared with the HTTP pool's connections) for a
   * connection to `host`, at once or after waiting in the pending queue, whose bound
   * max_pending_requests is then the connection limit (beyond it: UO, counted as a pending
   * overflow). Waiting because of max_connections counts an upstream_cx_overflow. `cb` gets the
   * function that gives the slot back (call it when the connection closes). Returns a function
   * that gives up the place in the queue.
   */
  reserveConnection(host: Host, cb: ReserveCallback): () => void {
    const limits = this.config.limits;
    if (this.pending === 0 && this.open < limits.maxConnections) {
      cb(null, this.takeSlot(host));
      return NOOP;
    }
    if (this.pending >= limits.maxPendingRequests) {
      this.overflows++;
      this.onOverflow(this.name);
      cb(new ProxyError('UO', 'overflow'), null);
      return NOOP;
    }
    if (this.open >= limits.maxConnections) this.cxOverflow();
    const w: Waiter = { host, connectTimeoutMs: 0, cb: NOOP, cancelled: false, tcp: cb };
    this.waiters.push(w);
    this.drain();
    return () => {
      w.cancelled = true;
      this.compact();
    };
  }

  private takeSlot(host: Host): () => void {
    this.open++;
    host.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      host.open--;
      this.drain();
    };
  }

  private cxOverflow(): void {
    this.cxOverflows++;
    this.onCxOverflow(this.name);
  }

  get pending(): number {
    return this.waiters.length - this.waiterHead;
  }

  /**
   * Gets a connection to `host`: an idle pooled one (reused = true), else a new one if the
   * cluster is under max_connections, else a place in the pending queue, else UO. Returns a
   * function that gives up a queued request's place.
   */
  acquire(host: Host, connectTimeoutMs: number, cb: AcquireCallback): () => void {
    const limits = this.config.limits;
    if (limits.maxRequests < UNLIMITED && this.activeRequests() > limits.maxRequests) {
      this.overflow(cb);
      return NOOP;
    }
    if (this.pending === 0) {
      const idle = takeIdle(host);
      if (idle) {
        cb(null, idle, true);
        return NOOP;
      }
      if (this.open < limits.maxConnections) {
        this.connect(host, connectTimeoutMs, cb);
        return NOOP;
      }
    }
    if (this.pending >= limits.maxPendingRequests) {
      this.overflow(cb);
      return NOOP;
    }
    if (this.open >= limits.maxConnections) this.cxOverflow();
    const w: Waiter = { host, connectTimeoutMs, cb, cancelled: false };
    this.waiters.push(w);
    this.drain();
    return () => {
      w.cancelled = true;
      this.compact();
    };
  }

  /**
   * For HTTP/2 clusters (no connection pool, one session per host): fails with UO, counted as an
   * overflow, when max_requests is exceeded; false when the request may go ahead.
   */
  overflowsRequests(cb: AcquireCallback): boolean {
    const max = this.config.limits.maxRequests;
    if (max >= UNLIMITED || this.activeRequests() <= max) return false;
    this.overflow(cb);
    return true;
  }

  private activeRequests(): number {
    let n = 0;
    for (const h of this.hosts()) n += h.active;
    return n;
  }

  private overflow(cb: AcquireCallback): void {
    this.overflows++;
    this.onOverflow(this.name);
    cb(new ProxyError('UO', 'overflow'), null, false);
  }

  private connect(host: Host, connectTimeoutMs: number, cb: AcquireCallback): void {
    this.open++;
    host.open++;
    let done = false;
    const conn = this.connector(host, connectTimeoutMs, (err) => {
      if (done) return;
      done = true;
      if (err) cb(err, null, false);
      else cb(null, conn, false);
    });
    this.stats.track(conn.socket);
    const ka = this.config.tcpKeepalive;
    if (ka) applyTcpKeepalive(conn.socket, ka);
    conn.socket.once('close', () => {
      this.open--;
      host.open--;
      this.drain();
    });
    conn.socket.on('timeout', () => {
      // Only idle connections have a socket timeout set (the pool's idle_timeout).
      if (host.idle.includes(conn)) conn.destroy();
    });
    conn.onRelease = (c, reusable) => this.release(c, reusable);
  }

  /** A connection finished an exchange: pooled (or handed to the next waiter) if it can be reused. */
  private release(c: UpstreamConnection, reusable: boolean): void {
    const perConn = this.config.maxRequestsPerConnection;
    const host = c.host;
    if (!reusable || (perConn > 0 && c.uses >= perConn) || !this.hosts().includes(host) || host.idle.length >= MAX_IDLE) {
      c.destroy(); // the close event frees the slot and serves the queue
      return;
    }
    if (this.config.idleTimeoutMs > 0) c.socket.setTimeout(this.config.idleTimeoutMs);
    host.idle.push(c);
    // After the current call stack: the finishing exchange sees its end before the next starts.
    if (this.pending > 0) queueMicrotask(() => this.drain());
  }

  /** Serves queued requests in order while connections are available. */
  private drain(): void {
    while (this.pending > 0) {
      const w = this.waiters[this.waiterHead]!;
      if (w.cancelled) {
        this.waiterHead++;
        continue;
      }
      if (w.tcp) {
        if (this.open < this.config.limits.maxConnections) {
          this.waiterHead++;
          w.tcp(null, this.takeSlot(w.host));
          continue;
        }
        // At the limit: an idle pooled connection (any host) makes room for it.
        for (const h of this.hosts()) {
          if (h.idle.length > 0) {
            h.idle.pop()!.destroy();
            break;
          }
        }
        break;
      }
      const idle = takeIdle(w.host);
      if (idle) {
        this.waiterHead++;
        w.cb(null, idle, true);
        continue;
      }
      if (this.open < this.config.limits.maxConnections) {
        this.waiterHead++;
        this.connect(w.host, w.connectTimeoutMs, w.cb);
        continue;
      }
      // At the limit with idle connections to other hosts: close one to make room for the head.
      for (const h of this.hosts()) {
        if (h !== w.host && h.idle.length > 0) {
          h.idle.pop()!.destroy();
          break;
        }
      }
      break;
    }
    this.compact();
  }

  private compact(): void {
    while (this.pending > 0 && this.waiters[this.waiterHead]!.cancelled) this.waiterHead++;
    if (this.waiterHead > 0 && (this.pending === 0 || this.waiterHead > 64)) {
      this.waiters = this.waiters.slice(this.waiterHead);
      this.waiterHead = 0;
    }
  }

  /** Fails every queued request (the cluster was removed). */
  close(): void {
    const ws = this.waiters.slice(this.waiterHead);
    this.waiters = [];
    this.waiterHead = 0;
    for (const w of ws) {
      if (w.cancelled) continue;
      if (w.tcp) w.tcp(new ProxyError('UH', 'cluster removed'), null);
      else w.cb(new ProxyError('UH', 'cluster removed'), null, false);
    }
  }
}

function takeIdle(host: Host): UpstreamConnection | undefined {
  while (host.idle.length > 0) {
    const c = host.idle.pop()!;
    if (c.canReuse) {
      c.socket.setTimeout(0);
      return c;
    }
    c.destroy();
  }
  return undefined;
}
