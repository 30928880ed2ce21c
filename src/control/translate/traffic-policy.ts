// A DestinationRule's traffic policy for one cluster, merged as Istio merges it, and the Envoy
// cluster fields that connectionPool and outlierDetection become.
//
// Merge (Istio's MergeTrafficPolicy): a subset's trafficPolicy overrides the rule's top-level one
// field by field: a subset that sets connectionPool replaces the whole top-level connectionPool,
// one that leaves it out inherits it. Fields are not merged more deeply than that.
import type { ConnectionPoolSettings, DestinationRule, OutlierDetection, Subset, TrafficPolicy } from '../../api/types.js';
import { durationJson } from './routes.js';

export type Json = Record<string, unknown>;

/** What Istio sends for thresholds a DestinationRule leaves unset: effectively unlimited. */
const MAX_UINT32 = 4_294_967_295;

export const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
export const HTTP_PROTOCOL_OPTIONS_TYPE = `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS_KEY}`;

export function mergeTrafficPolicy(top: TrafficPolicy | undefined, subset: TrafficPolicy | undefined): TrafficPolicy | undefined {
  if (!subset) return top;
  if (!top) return subset;
  const merged: TrafficPolicy = { ...top };
  if (subset.loadBalancer) merged.loadBalancer = subset.loadBalancer;
  if (subset.connectionPool) merged.connectionPool = subset.connectionPool;
  if (subset.outlierDetection) merged.outlierDetection = subset.outlierDetection;
  if (subset.tls) merged.tls = subset.tls;
  return merged;
}

/** A policy's settings for one service port: a matching portLevelSettings entry replaces them whole. */
function atPort(p: TrafficPolicy, port: number | undefined): { policy: TrafficPolicy; portMatched: boolean } {
  const pls = port === undefined ? undefined : p.portLevelSettings?.find((s) => s.port.number === port);
  const from = pls ?? p;
  const policy: TrafficPolicy = {};
  if (from.loadBalancer) policy.loadBalancer = from.loadBalancer;
  if (from.connectionPool) policy.connectionPool = from.connectionPool;
  if (from.outlierDetection) policy.outlierDetection = from.outlierDetection;
  if (from.tls) policy.tls = from.tls;
  return { policy, portMatched: pls !== undefined };
}

/**
 * The effective policy for the cluster of `subset` (undefined: the service's default cluster) on
 * service port `port`. As Istio: the rule's port-level settings for the port replace its top-level
 * ones; the subset's policy then overrides field by field; a subset port-level entry for the port
 * replaces everything (port-level policies do not inherit).
 */
export function trafficPolicyFor(dr: DestinationRule | undefined, subset: Subset | undefined, port?: number): TrafficPolicy | undefined {
  const top = dr?.spec.trafficPolicy ? atPort(dr.spec.trafficPolicy, port).policy : undefined;
  const sub = subset?.trafficPolicy;
  if (!sub) return top;
  const s = atPort(sub, port);
  return s.portMatched ? s.policy : mergeTrafficPolicy(top, s.policy);
}

/** Seconds, as Envoy's uint32 keepalive fields want them (at least 1 when set). */
function seconds(ms: number): number {
  return Math.max(1, Math.floor(ms / 1000));
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

/** Adds the connectionPool fields to `cluster` (connect_timeout is set by the caller's default first). */
export function applyConnectionPool(cluster: Json, cp: ConnectionPoolSettings | undefined): void {
  if (!cp) return;
  const tcp = cp.tcp;
  const http = cp.http;
  if (tcp?.connectTimeoutMs !== undefined) cluster.connect_timeout = durationJson(tcp.connectTimeoutMs);
  const limits = {
    max_connections: positive(tcp?.maxConnections),
    max_pending_requests: positive(http?.http1MaxPendingRequests),
    max_requests: positive(http?.http2MaxRequests),
    max_retries: positive(http?.maxRetries),
  };
  if (Object.values(limits).some((v) => v !== undefined)) {
    cluster.circuit_breakers = {
      thresholds: [
        {
          max_connections: limits.max_connections ?? MAX_UINT32,
          max_pending_requests: limits.max_pending_requests ?? MAX_UINT32,
          max_requests: limits.max_requests ?? MAX_UINT32,
          max_retries: limits.max_retries ?? MAX_UINT32,
          track_remaining: true,
        },
      ],
    };
  }
  const common: Json = {};
  if (http?.idleTimeoutMs !== undefined) common.idle_timeout = durationJson(http.idleTimeoutMs);
  const perConnection = positive(http?.maxRequestsPerConnection);
  if (perConnection !== undefined) common.max_requests_per_connection = perConnection;
  if (Object.keys(common).length > 0) {
    cluster.typed_extension_protocol_options = {
      [HTTP_PROTOCOL_OPTIONS_KEY]: {
        '@type': HTTP_PROTOCOL_OPTIONS_TYPE,
        common_http_protocol_options: common,
        explicit_http_config: { http_protocol_options: {} },
      },
    };
  }
  const ka = tcp?.tcpKeepalive;
  if (ka) {
    const keepalive: Json = {};
    if (ka.probes !== undefined) keepalive.keepalive_probes = ka.probes;
    if (ka.timeMs !== undefined) keepalive.keepalive_time = seconds(ka.timeMs);
    if (ka.intervalMs !== undefined) keepalive.keepalive_interval = seconds(ka.intervalMs);
    cluster.upstream_connection_options = { tcp_keepalive: keepalive };
  }
}

/**
 * outlier_detection as Istio builds it: success-rate ejection off; the deprecated
 * consecutiveErrors counts gateway errors only (istio/api#617); an explicit consecutive5xxErrors
 * or consecutiveGatewayErrors enforces at 100% when positive and turns off at 0. minHealthPercent
 * becomes the panic threshold, sent even when 0 (Istio's default: panic mode off).
 */
export function applyOutlierDetection(cluster: Json, od: OutlierDetection | undefined): void {
  if (!od) return;
  const out: Json = {};
  let enforcing5xx = 100;
  let enforcingGateway = 0;
  if (od.consecutiveErrors !== undefined && od.consecutiveErrors > 0) {
    out.consecutive_gateway_failure = od.consecutiveErrors;
    enforcingGateway = 100;
    enforcing5xx = 0;
  }
  if (od.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = od.consecutive5xxErrors;
    enforcing5xx = od.consecutive5xxErrors > 0 ? 100 : 0;
  }
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = od.consecutiveGatewayErrors;
    enforcingGateway = od.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (od.intervalMs !== undefined) out.interval = durationJson(od.intervalMs);
  if (od.baseEjectionTimeMs !== undefined) out.base_ejection_time = durationJson(od.baseEjectionTimeMs);
  if (od.maxEjectionPercent !== undefined && od.maxEjectionPercent > 0) out.max_ejection_percent = od.maxEjectionPercent;
  out.enforcing_consecutive_5xx = enforcing5xx;
  out.enforcing_consecutive_gateway_failure = enforcingGateway;
  out.enforcing_success_rate = 0;
  cluster.outlier_detection = out;
  cluster.common_lb_config = { healthy_panic_threshold: { value: od.minHealthPercent ?? 0 } };
}

export function applyTrafficPolicy(cluster: Json, policy: TrafficPolicy | undefined): void {
  applyConnectionPool(cluster, policy?.connectionPool);
  applyOutlierDetection(cluster, policy?.outlierDetection);
}
