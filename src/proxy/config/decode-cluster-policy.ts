// CDS fields from a DestinationRule's connectionPool and outlierDetection: circuit_breakers,
// typed_extension_protocol_options (HttpProtocolOptions), upstream_connection_options,
// outlier_detection, common_lb_config. Only what the proxy implements is accepted.
import { arr, bool, ConfigRejection, durationMs, num, obj, only, str, type J } from './check.js';
import { DEFAULT_IDLE_TIMEOUT_MS, NO_LIMITS, UNLIMITED, type CircuitBreakerLimits, type OutlierConfig, type PoolConfig, type TcpKeepaliveConfig } from './cluster-policy.js';

const HTTP_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HTTP_OPTIONS_TYPE = `type.googleapis.com/${HTTP_OPTIONS_KEY}`;

export const POLICY_FIELDS = ['circuit_breakers', 'typed_extension_protocol_options', 'upstream_connection_options', 'outlier_detection', 'common_lb_config'];

function count(v: unknown, path: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = num(v, path);
  if (!Number.isInteger(n) || n < 0 || n > UNLIMITED) throw new ConfigRejection(path, `expected an integer 0..${UNLIMITED}`);
  return n;
}

function percent(v: unknown, path: string, dflt: number): number {
  const n = count(v, path, dflt);
  if (n > 100) throw new ConfigRejection(path, 'expected a percentage 0..100');
  return n;
}

function decodeLimits(v: unknown, path: string): CircuitBreakerLimits {
  if (v === undefined) return NO_LIMITS;
  const cb = obj(v, path);
  only(cb, path, ['thresholds']);
  const thresholds = arr(cb.thresholds, `${path}.thresholds`);
  if (thresholds.length === 0) return NO_LIMITS;
  if (thresholds.length > 1) throw new ConfigRejection(`${path}.thresholds[1]`, 'only one (DEFAULT priority) threshold is supported');
  const tp = `${path}.thresholds[0]`;
  const t = obj(thresholds[0], tp);
  only(t, tp, ['max_connections', 'max_pending_requests', 'max_requests', 'max_retries', 'track_remaining']);
  bool(t.track_remaining, `${tp}.track_remaining`, false);
  // Envoy's own defaults for absent thresholds.
  return {
    maxConnections: count(t.max_connections, `${tp}.max_connections`, 1024),
    maxPendingRequests: count(t.max_pending_requests, `${tp}.max_pending_requests`, 1024),
    maxRequests: count(t.max_requests, `${tp}.max_requests`, 1024),
    maxRetries: count(t.max_retries, `${tp}.max_retries`, 3),
  };
}

function decodeHttpOptions(v: unknown, path: string): { maxRequestsPerConnection: number; idleTimeoutMs: number; http2: boolean } {
  const out = { maxRequestsPerConnection: 0, idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS, http2: false };
  if (v === undefined) return out;
  const m = obj(v, path);
  only(m, path, [HTTP_OPTIONS_KEY]);
  if (m[HTTP_OPTIONS_KEY] === undefined) return out;
  const p = `${path}["${HTTP_OPTIONS_KEY}"]`;
  const o = obj(m[HTTP_OPTIONS_KEY], p);
  if (str(o['@type'], `${p}["@type"]`) !== HTTP_OPTIONS_TYPE) throw new ConfigRejection(`${p}["@type"]`, `expected ${HTTP_OPTIONS_TYPE}`);
  only(o, p, ['@type', 'common_http_protocol_options', 'explicit_http_config']);
  if (o.explicit_http_config !== undefined) {
    const e = obj(o.explicit_http_config, `${p}.explicit_http_config`);
    only(e, `${p}.explicit_http_config`, ['http_protocol_options', 'http2_protocol_options']);
    out.http2 = decodeExplicitHttp2(e, `${p}.explicit_http_config`);
    if (!out.http2) {
      const h1 = obj(e.http_protocol_options ?? {}, `${p}.explicit_http_config.http_protocol_options`);
      only(h1, `${p}.explicit_http_config.http_protocol_options`, []);
    }
  }
  if (o.common_http_protocol_options !== undefined) {
    const cp = `${p}.common_http_protocol_options`;
    const c = obj(o.common_http_protocol_options, cp);
    only(c, cp, ['idle_timeout', 'max_requests_per_connection']);
    out.idleTimeoutMs = durationMs(c.idle_timeout, `${cp}.idle_timeout`, DEFAULT_IDLE_TIMEOUT_MS);
    out.maxRequestsPerConnection = count(c.max_requests_per_connection, `${cp}.max_requests_per_connection`, 0);
  }
  return out;
}

/** explicit_http_config: http2_protocol_options (h2c, prior knowledge; no options) or HTTP/1.1. */
function decodeExplicitHttp2(e: J, path: string): boolean {
  if (e.http2_protocol_options === undefined) return false;
  if (e.http_protocol_options !== undefined) throw new ConfigRejection(path, 'only one of http_protocol_options and http2_protocol_options');
  only(obj(e.http2_protocol_options, `${path}.http2_protocol_options`), `${path}.http2_protocol_options`, []);
  return true;
}

function decodeKeepalive(v: unknown, path: string): TcpKeepaliveConfig | null {
  if (v === undefined) return null;
  const uco = obj(v, path);
  only(uco, path, ['tcp_keepalive']);
  if (uco.tcp_keepalive === undefined) return null;
  const kp = `${path}.tcp_keepalive`;
  const k = obj(uco.tcp_keepalive, kp);
  only(k, kp, ['keepalive_probes', 'keepalive_time', 'keepalive_interval']);
  return {
    probes: count(k.keepalive_probes, `${kp}.keepalive_probes`, 0),
    timeMs: count(k.keepalive_time, `${kp}.keepalive_time`, 0) * 1000,
    intervalMs: count(k.keepalive_interval, `${kp}.keepalive_interval`, 0) * 1000,
  };
}

export function decodePool(c: J, p: string): PoolConfig {
  const http = decodeHttpOptions(c.typed_extension_protocol_options, `${p}.typed_extension_protocol_options`);
  return {
    limits: decodeLimits(c.circuit_breakers, `${p}.circuit_breakers`),
    maxRequestsPerConnection: http.maxRequestsPerConnection,
    idleTimeoutMs: http.idleTimeoutMs,
    tcpKeepalive: decodeKeepalive(c.upstream_connection_options, `${p}.upstream_connection_options`),
    ...(http.http2 ? { http2: true } : {}),
  };
}

/** Envoy's defaults for every field left out. */
export function decodeOutlierDetection(v: unknown, path: string): OutlierConfig | null {
  if (v === undefined) return null;
  const o = obj(v, path);
  only(o, path, [
    'consecutive_5xx',
    'consecutive_gateway_failure',
    'interval',
    'base_ejection_time',
    'max_ejection_time',
    'max_ejection_percent',
    'enforcing_consecutive_5xx',
    'enforcing_consecutive_gateway_failure',
    'enforcing_success_rate',
  ]);
  // Success-rate ejection is not implemented: the config must turn it off (Envoy's default is on).
  if (percent(o.enforcing_success_rate, `${path}.enforcing_success_rate`, 100) !== 0) {
    throw new ConfigRejection(`${path}.enforcing_success_rate`, 'success-rate ejection is not supported by this proxy; set it to 0');
  }
  const intervalMs = durationMs(o.interval, `${path}.interval`, 10_000);
  if (intervalMs <= 0) throw new ConfigRejection(`${path}.interval`, 'expected a positive duration');
  const baseEjectionTimeMs = durationMs(o.base_ejection_time, `${path}.base_ejection_time`, 30_000);
  return {
    consecutive5xx: count(o.consecutive_5xx, `${path}.consecutive_5xx`, 5),
    consecutiveGatewayFailure: count(o.consecutive_gateway_failure, `${path}.consecutive_gateway_failure`, 5),
    enforcingConsecutive5xx: percent(o.enforcing_consecutive_5xx, `${path}.enforcing_consecutive_5xx`, 100),
    enforcingConsecutiveGatewayFailure: percent(o.enforcing_consecutive_gateway_failure, `${path}.enforcing_consecutive_gateway_failure`, 0),
    intervalMs,
    baseEjectionTimeMs,
    maxEjectionTimeMs: durationMs(o.max_ejection_time, `${path}.max_ejection_time`, Math.max(300_000, baseEjectionTimeMs)),
    maxEjectionPercent: percent(o.max_ejection_percent, `${path}.max_ejection_percent`, 10),
  };
}

export function decodePanicThreshold(v: unknown, path: string): number {
  if (v === undefined) return 50;
  const c = obj(v, path);
  only(c, path, ['healthy_panic_threshold']);
  if (c.healthy_panic_threshold === undefined) return 50;
  const t = obj(c.healthy_panic_threshold, `${path}.healthy_panic_threshold`);
  only(t, `${path}.healthy_panic_threshold`, ['value']);
  const value = t.value === undefined ? 0 : num(t.value, `${path}.healthy_panic_threshold.value`);
  if (value < 0 || value > 100) throw new ConfigRejection(`${path}.healthy_panic_threshold.value`, 'expected a percentage 0..100');
  return value;
}
