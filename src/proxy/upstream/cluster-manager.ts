// Clusters with their hosts (from EDS or inline), a picker each, and per-host connection pools.
// Config updates replace cluster entries whole but keep Host objects (and their pooled
// connections) for endpoints that remain.
import type { ClusterConfig, EndpointConfig } from '../config/types.js';
import { ProxyError } from '../errors.js';
import { Host } from './host.js';
import { makePicker, type Picker } from './lb/picker.js';
import { UpstreamConnection } from './upstream-connection.js';

export class ClusterRuntime {
  hosts: Host[] = [];
  readonly picker: Picker;

  constructor(readonly config: ClusterConfig) {
    this.picker = makePicker(config.lbPolicy);
  }

  pick(): Host | undefined {
    return this.picker.pick(this.hosts);
  }
}

/** Max idle connections kept per host. */
const MAX_IDLE = 64;

export class ClusterManager {
  private clusters = new Map<string, ClusterRuntime>();
  private endpoints = new Map<string, EndpointConfig[]>();
  private readonly hostsByKey = new Map<string, Host>();

  get(name: string): ClusterRuntime | undefined {
    return this.clusters.get(name);
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  edsNames(): string[] {
    return [...this.clusters.values()].filter((c) => c.config.type === 'EDS').map((c) => c.config.edsServiceName);
  }

  setClusters(configs: ReadonlyMap<string, ClusterConfig>): void {
    const next = new Map<string, ClusterRuntime>();
    for (const [name, cfg] of configs) {
      const old = this.clusters.get(name);
      const rt = old && JSON.stringify(old.config) === JSON.stringify(cfg) ? old : new ClusterRuntime(cfg);
      next.set(name, rt);
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
      const eps = c.config.type !== 'EDS' ? c.config.staticEndpoints : this.endpoints.get(c.config.edsServiceName) ?? [];
      c.hosts = eps.map((ep) => {
        const key = `${ep.address}:${ep.port}`;
        used.add(key);
        let h = this.hostsByKey.get(key);
        if (!h) {
          h = new Host(ep.address, ep.port, ep);
          this.hostsByKey.set(key, h);
        } else {
          h.endpoint = ep;
        }
        return h;
      });
    }
    for (const [key, h] of this.hostsByKey) {
      if (!used.has(key)) {
        h.closeIdle();
        this.hostsByKey.delete(key);
      }
    }
  }

  /**
   * Gets a connection to `host`: an idle pooled one if any (reused = true), else a new one.
   * The callback runs asynchronously for new connections.
   */
  acquire(host: Host, connectTimeoutMs: number, cb: (err: ProxyError | null, conn: UpstreamConnection | null, reused: boolean) => void): void {
    while (host.idle.length > 0) {
      const c = host.idle.pop()!;
      if (c.canReuse) {
        cb(null, c, true);
        return;
      }
      c.destroy();
    }
    host.open++;
    let done = false;
    const conn: UpstreamConnection = new UpstreamConnection(host, connectTimeoutMs, (err) => {
      if (done) return;
      done = true;
      if (err) {
        host.open--;
        cb(err, null, false);
      } else {
        cb(null, conn, false);
      }
    });
    conn.socket.once('close', () => {
      if (conn.connected) host.open--;
    });
    conn.onRelease = (c, reusable) => {
      if (reusable && host.idle.length < MAX_IDLE && this.hostsByKey.get(host.key) === host) host.idle.push(c);
      else c.destroy();
    };
  }
}

export { ProxyError };
