// The parts of a cluster's runtime config that come from a DestinationRule's connectionPool and
// outlierDetection: circuit breaker thresholds, pool behaviour and outlier detection settings.

/** Envoy's circuit_breakers.thresholds[0]; absent thresholds are unlimited (Istio sends 2^32-1). */
export interface CircuitBreakerLimits {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

export const UNLIMITED = 4_294_967_295;

export const NO_LIMITS: CircuitBreakerLimits = {
  maxConnections: UNLIMITED,
  maxPendingRequests: UNLIMITED,
  maxRequests: UNLIMITED,
  maxRetries: UNLIMITED,
};

export interface TcpKeepaliveConfig {
  /** Idle time before the first probe; 0 = the OS default. */
  timeMs: number;
  intervalMs: number;
  probes: number;
}

export interface PoolConfig {
  limits: CircuitBreakerLimits;
  /** 0 = unlimited. */
  maxRequestsPerConnection: number;
  /** Idle pooled connections close after this; Envoy's default is 1h. */
  idleTimeoutMs: number;
  tcpKeepalive: TcpKeepaliveConfig | null;
  /** Upstream speaks HTTP/2 (h2c, prior knowledge): one multiplexed session per host. */
  http2?: boolean;
}

export interface OutlierConfig {
  consecutive5xx: number;
  consecutiveGatewayFailure: number;
  /** Percent chance (0..100) that a detected outlier is ejected. */
  enforcingConsecutive5xx: number;
  enforcingConsecutiveGatewayFailure: number;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionTimeMs: number;
  maxEjectionPercent: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;
