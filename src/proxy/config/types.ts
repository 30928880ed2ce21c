// The proxy's runtime config: what xDS resources become once validated. Built when config
// arrives (never per request) and immutable afterwards; a new config replaces the old whole.
import type { RetryBudgetConfig, RetryPolicyConfig } from '../http/retry/policy.js';
import type { OutlierConfig, PoolConfig } from './cluster-policy.js';
import type { RouteFilters } from '../http/filters/types.js';
import type { HashPolicyConfig, LbConfig, LbPolicy } from './lb-config.js';
import type { JwtAuthnConfig } from '../security/jwt/config.js';
import type { ClaimMatcher } from '../security/jwt/claims-match.js';
import type { AccessLogger } from '../telemetry/access-log/decode.js';
import type { StatsConfig } from '../telemetry/metric-overrides.js';
import type { RbacEngine } from '../security/rbac/types.js';
import type { PathNormalizationConfig } from '../http/normalize-path.js';
import type { TracingConfig } from '../telemetry/tracing/types.js';
import type { ClusterTransport, InboundTlsConfig } from '../security/tls-config.js';

export interface StringMatcher {
  kind: 'exact' | 'prefix' | 'regex';
  value: string;
  regex?: RegExp;
  ignoreCase: boolean;
}

export interface HeaderMatcher {
  /** Lower-cased; ":method", ":authority" and ":path" are pseudo-headers. */
  name: string;
  matcher: StringMatcher | null;
  /** present_match when matcher is null. */
  invert: boolean;
}

export interface RouteMatch {
  path: { kind: 'prefix' | 'exact' | 'regex'; value: string; regex?: RegExp; caseSensitive: boolean };
  headers: HeaderMatcher[];
  query: { name: string; matcher: StringMatcher | null }[];
  /** dynamic_metadata on the validated JWT's claims (VirtualService @request.auth.claims.*). */
  claims?: ClaimMatcher[];
}

export interface WeightedCluster {
  name: string;
  weight: number;
}

export interface RouteAction {
  clusters: WeightedCluster[];
  totalWeight: number;
  prefixRewrite: string | undefined;
  hostRewrite: string | undefined;
  timeoutMs: number;
  /** From retry_policy; undefined: no retries. */
  retry: RetryPolicyConfig | undefined;
  /** From route metadata weft.retry_budget; undefined: the default budget. */
  retryBudget: RetryBudgetConfig | undefined;
  /** hash_policy for RING_HASH / MAGLEV clusters; undefined: none. */
  hashPolicy?: HashPolicyConfig[] | undefined;
}

export interface Route {
  name: string;
  match: RouteMatch;
  action: RouteAction;
  /** Fault, CORS, header mutations, mirrors, redirect/direct response; absent when none. */
  filters?: RouteFilters;
}

export interface VirtualHost {
  name: string;
  domains: string[];
  routes: Route[];
}

export interface RouteTable {
  name: string;
  virtualHosts: VirtualHost[];
  /** Exact domain → vhost; suffix/prefix wildcards and "*" checked after, longest first. */
  exact: Map<string, VirtualHost>;
  suffixes: { suffix: string; vhost: VirtualHost }[];
  prefixes: { prefix: string; vhost: VirtualHost }[];
  catchAll: VirtualHost | undefined;
}

export interface HcmConfig {
  statPrefix: string;
  rdsName: string | undefined;
  inlineRoutes: RouteTable | undefined;
  stripAnyHostPort: boolean;
  useRemoteAddress: boolean;
  /** upgrade_configs has websocket: Upgrade requests pass through (see ../http/upgrade.ts). */
  websocket?: boolean;
  /** envoy.filters.http.jwt_authn (RequestAuthentication), run before routing. */
  jwtAuthn?: JwtAuthnConfig;
  /** access_log (../telemetry/access-log/); absent when none. */
  accessLog?: AccessLogger[];
  /** The istio.stats HTTP filter: Telemetry API metric overrides (../telemetry/metric-overrides.ts). */
  stats?: StatsConfig;
  /** envoy.filters.http.rbac filters in order (../security/rbac/); absent: none. */
  rbac?: RbacEngine[];
  /** normalize_path, merge_slashes, escaped slashes (../http/normalize-path.ts); absent: none. */
  pathNormalization?: PathNormalizationConfig;
  /** HCM `tracing` (../telemetry/tracing/); absent: no spans, no trace headers added. */
  tracing?: TracingConfig;
}

/** envoy.filters.network.tcp_proxy: L4 proxying to one cluster or a weighted pick. */
export interface TcpProxyConfig {
  statPrefix: string;
  clusters: WeightedCluster[];
  totalWeight: number;
  /** idle_timeout; absent: Envoy's 1h; 0: none (see ../network/tcp-timeouts.ts). */
  idleTimeoutMs?: number;
  /** max_downstream_connection_duration; absent or 0: none. */
  maxDownstreamConnectionDurationMs?: number;
  /** access_log (../telemetry/access-log/); absent when none. */
  accessLog?: AccessLogger[];
}

export interface ListenerConfig {
  name: string;
  address: string;
  port: number;
  direction: 'INBOUND' | 'OUTBOUND';
  hcm: HcmConfig;
  /**
   * Set for a tcp_proxy listener (then hcm is an empty placeholder): see ../network/tcp-proxy.ts.
   * With `sniChains`, the chain for connections whose SNI matches none (absent: they are closed).
   */
  tcpProxy?: TcpProxyConfig;
  /** TLS passthrough (tls_inspector): tcp_proxy chains chosen by the ClientHello's SNI. */
  sniChains?: SniChain[];
  /** The istio.stats network filter in front of tcp_proxy: TCP metric overrides (../telemetry/tcp-metrics.ts). */
  tcpStats?: StatsConfig;
  /** envoy.filters.network.rbac filters in front of tcp_proxy (../security/rbac/); absent: none. */
  networkRbac?: RbacEngine[];
  /** Inbound mTLS (Istio's tls + raw_buffer chains): see ../security/inbound-tls.ts. */
  inboundTls?: InboundTlsConfig;
}

/** A filter chain with `filter_chain_match.server_names` ("*.example.com" wildcards allowed). */
export interface SniChain {
  serverNames: string[];
  tcpProxy: TcpProxyConfig;
}

export interface ServiceRef {
  host: string;
  name: string;
  namespace: string;
}

export interface ClusterConfig {
  name: string;
  type: 'EDS' | 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'ORIGINAL_DST';
  lbPolicy: LbPolicy;
  /** Ring hash / maglev sizes and slow start window (Envoy defaults when not configured). */
  lb?: LbConfig | undefined;
  connectTimeoutMs: number;
  edsServiceName: string;
  service: ServiceRef | null;
  /** For STATIC and DNS clusters: the inline endpoints. */
  staticEndpoints: EndpointConfig[];
  /** Circuit breakers and pool behaviour (DestinationRule connectionPool). */
  pool: PoolConfig;
  /** null when the cluster has no outlier_detection. */
  outlierDetection: OutlierConfig | null;
  /** common_lb_config.healthy_panic_threshold (percent); Envoy's default is 50. */
  healthyPanicThreshold: number;
  /** transport_socket(_matches): TLS origination, see ../security/upstream-tls.ts. */
  transport?: ClusterTransport;
  /** ORIGINAL_DST (PassthroughCluster): hosts come from each request (../upstream/original-dst.ts). */
  originalDst?: OriginalDstConfig;
}

/** Where an ORIGINAL_DST cluster reads the destination "host[:port]": ":authority" or a header. */
export interface OriginalDstConfig {
  headerName: string;
}

export interface EndpointConfig {
  address: string;
  port: number;
  weight: number;
  /** Istio workload metadata "name;namespace;app;version;cluster", if any. */
  workload: string | undefined;
  serviceAccount: string | undefined;
  /** LocalityLbEndpoints.priority (0 = most preferred); absent: 0. */
  priority?: number;
  /** LocalityLbEndpoints.locality as "region/zone/subzone"; absent: none. */
  locality?: string;
  /** metadata envoy.transport_socket_match (e.g. tlsMode: istio). */
  transportMatch?: Record<string, string>;
}
