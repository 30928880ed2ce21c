// What an HTTP connection manager instance needs at request time, resolved per listener.
import type { ListenerConfig, RouteTable } from '../config/types.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import type { IstioMetrics } from '../telemetry/istio-metrics.js';
import type { HttpAccessLog } from '../telemetry/access-log/http-tap.js';
import type { RbacMetrics } from '../security/rbac/metrics.js';
import type { ConnectionSecurity } from '../security/identity.js';
import type { HttpTracer } from '../telemetry/tracing/tracer.js';
import type { TcpMetrics } from '../telemetry/tcp-metrics.js';

export interface ProxyStats {
  downstreamRq: number;
  downstreamCxActive: number;
  downstreamCxTotal: number;
  byFlag: Map<string, number>;
}

export interface HcmContext {
  readonly listener: ListenerConfig;
  /** Current route table (inline or the latest RDS); undefined until RDS arrives. */
  routes(): RouteTable | undefined;
  readonly clusters: ClusterManager;
  readonly metrics: IstioMetrics;
  /** This proxy's own workload (source for outbound, destination for inbound). */
  readonly self: PeerMetadata;
  /** `self` encoded for the metadata-exchange header, computed once. */
  readonly selfHeader: string;
  readonly stats: ProxyStats;
  /** Set when the listener has access logs (or metric overrides read request attributes). */
  readonly accessLog?: HttpAccessLog;
  /** True while the proxy drains: responses carry Connection: close. */
  draining(): boolean;
  /** RBAC allow/deny counters (../security/rbac/metrics.ts). */
  readonly rbacMetrics?: RbacMetrics;
  /** Istio's TCP metrics, for CONNECT tunnels (./connect-tunnel.ts). */
  readonly tcpMetrics?: TcpMetrics;
  /** What the downstream connection proved (inbound mTLS); absent: plaintext. */
  readonly security?: ConnectionSecurity;
  /** This proxy's SPIFFE ID (XFCC By=), when it has a certificate. */
  selfSpiffeId?(): string | undefined;
  /** `self` with this proxy's SPIFFE ID as principal (the source reporter over mTLS); one object per ID. */
  selfWithPrincipal?(): PeerMetadata;
  /** Set when the listener's HCM has `tracing` (../telemetry/tracing/). */
  readonly tracing?: HttpTracer;
}
