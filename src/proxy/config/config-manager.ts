// Receives xDS resources (the ADS client's handler), validates them into runtime config and
// applies them, or rejects the whole update with a message naming the field (→ NACK). A rejected
// update changes nothing: the last good config keeps serving.
import type { XdsType } from '../../xds/protos.js';
import type { ClusterConfig, EndpointConfig, ListenerConfig, RouteTable } from './types.js';
import { ConfigRejection, type J } from './check.js';
import { decodeCluster, decodeEndpoints } from './decode-cluster.js';
import { decodeListener } from './decode-listener.js';
import { decodeRouteConfig } from './decode-route.js';
import { decodeSecret, type SecretConfig } from './decode-secret.js';

export interface ConfigSink {
  setClusters(c: ReadonlyMap<string, ClusterConfig>): void;
  setEndpoints(e: ReadonlyMap<string, EndpointConfig[]>): void;
  setListeners(l: ReadonlyMap<string, ListenerConfig>): void;
  setRoutes(r: ReadonlyMap<string, RouteTable>): void;
  /** Subscription changes that follow from new config (EDS names from CDS, RDS names from LDS). */
  subscribe(type: XdsType, names: string[]): void;
  /** SDS trust bundles (ROOTCA); without it the proxy NACKs SDS. */
  setSecrets?(s: ReadonlyMap<string, SecretConfig>): void;
}

export class ConfigManager {
  /** Raw resources as last accepted, for /config_dump. */
  readonly accepted: Record<XdsType, Map<string, Record<string, unknown>>> = {
    cluster: new Map(),
    endpoint: new Map(),
    listener: new Map(),
    route: new Map(),
    secret: new Map(),
  };
  readonly versions: Record<XdsType, string | null> = { cluster: null, endpoint: null, listener: null, route: null, secret: null };
  private edsNames: string[] = [];
  private rdsNames: string[] = [];
  private firstClustersAt = 0;
  /** How long missing EDS names may hold back readiness. */
  edsWaitMs = 15_000;

  constructor(private readonly sink: ConfigSink) {}

  /** XdsHandler: null to ACK, or the NACK message. */
  onResources(type: XdsType, resources: Map<string, Record<string, unknown>>, version: string): string | null {
    try {
      this.apply(type, resources);
    } catch (err) {
      if (err instanceof ConfigRejection) return err.message;
      return `${type}: ${err instanceof Error ? err.message : String(err)}`;
    }
    this.accepted[type] = resources;
    this.versions[type] = version;
    return null;
  }

  private apply(type: XdsType, resources: Map<string, J>): void {
    switch (type) {
      case 'cluster': {
        const m = new Map<string, ClusterConfig>();
        for (const [name, r] of resources) m.set(name, decodeCluster(r));
        this.sink.setClusters(m);
        if (this.firstClustersAt === 0) this.firstClustersAt = Date.now();
        this.edsNames = [...m.values()].filter((c) => c.type === 'EDS').map((c) => c.edsServiceName).sort();
        this.sink.subscribe('endpoint', this.edsNames);
        return;
      }
      case 'endpoint': {
        const m = new Map<string, EndpointConfig[]>();
        for (const [name, r] of resources) m.set(name, decodeEndpoints(r, `cluster_load_assignment ${name}`));
        this.sink.setEndpoints(m);
        return;
      }
      case 'listener': {
        const m = new Map<string, ListenerConfig>();
        const seen = new Map<string, string>();
        for (const [name, r] of resources) {
          const l = decodeListener(r);
          const addr = `${l.address}:${l.port}`;
          const other = seen.get(addr);
          if (other) throw new ConfigRejection(`listener ${name}.address`, `${addr} is also used by listener ${other}`);
          seen.set(addr, name);
          m.set(name, l);
        }
        this.sink.setListeners(m);
        this.rdsNames = [...new Set([...m.values()].flatMap((l) => (l.hcm.rdsName ? [l.hcm.rdsName] : [])))].sort();
        this.sink.subscribe('route', this.rdsNames);
        return;
      }
      case 'route': {
        const m = new Map<string, RouteTable>();
        for (const [name, r] of resources) m.set(name, decodeRouteConfig(r));
        this.sink.setRoutes(m);
        return;
      }
      case 'secret': {
        if (!this.sink.setSecrets) throw new ConfigRejection('secret', 'SDS is not supported by this proxy without an identity (--ca-address)');
        const m = new Map<string, SecretConfig>();
        for (const [name, r] of resources) m.set(name, decodeSecret(r));
        this.sink.setSecrets(m);
        return;
      }
    }
  }

  /**
   * Initialized when CDS and LDS arrived and every EDS and RDS name they need has arrived too.
   * Like Envoy's initial_fetch_timeout, EDS names a server never answers stop blocking after
   * `edsWaitMs` from the first CDS (the clusters then simply have no hosts).
   */
  initialized(now = Date.now()): boolean {
    if (this.versions.cluster === null || this.versions.listener === null) return false;
    for (const n of this.rdsNames) if (!this.accepted.route.has(n)) return false;
    if (this.edsNames.length > 0) {
      if (this.versions.endpoint === null) return false;
      const missing = this.edsNames.some((n) => !this.accepted.endpoint.has(n));
      if (missing && now - this.firstClustersAt < this.edsWaitMs) return false;
    }
    return true;
  }
}
