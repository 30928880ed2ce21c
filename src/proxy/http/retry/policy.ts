// Retry policy evaluation: which attempt outcomes a route's retry_policy retries, with Envoy's
// meaning for each retry_on condition. Built once per config; evaluated per failed attempt.
import type { ResponseFlag } from '../../errors.js';

export const RETRY_5XX = 1;
export const RETRY_GATEWAY_ERROR = 2;
export const RETRY_RESET = 4;
export const RETRY_CONNECT_FAILURE = 8;
export const RETRY_REFUSED_STREAM = 16;
export const RETRY_4XX = 32;
export const RETRY_STATUS_CODES = 64;
export const RETRY_GRPC_CANCELLED = 128;
export const RETRY_GRPC_DEADLINE_EXCEEDED = 256;
export const RETRY_GRPC_INTERNAL = 512;
export const RETRY_GRPC_RESOURCE_EXHAUSTED = 1024;
export const RETRY_GRPC_UNAVAILABLE = 2048;

/** retry_on names → bits. */
export const RETRY_ON_BITS: ReadonlyMap<string, number> = new Map([
  ['5xx', RETRY_5XX],
  ['gateway-error', RETRY_GATEWAY_ERROR],
  ['reset', RETRY_RESET],
  ['connect-failure', RETRY_CONNECT_FAILURE],
  ['refused-stream', RETRY_REFUSED_STREAM],
  ['retriable-4xx', RETRY_4XX],
  ['retriable-status-codes', RETRY_STATUS_CODES],
  ['cancelled', RETRY_GRPC_CANCELLED],
  ['deadline-exceeded', RETRY_GRPC_DEADLINE_EXCEEDED],
  ['internal', RETRY_GRPC_INTERNAL],
  ['resource-exhausted', RETRY_GRPC_RESOURCE_EXHAUSTED],
  ['unavailable', RETRY_GRPC_UNAVAILABLE],
]);

/** gRPC status code → the retry_on bit that retries it. */
const GRPC_BITS: ReadonlyMap<number, number> = new Map([
  [1, RETRY_GRPC_CANCELLED],
  [4, RETRY_GRPC_DEADLINE_EXCEEDED],
  [8, RETRY_GRPC_RESOURCE_EXHAUSTED],
  [13, RETRY_GRPC_INTERNAL],
  [14, RETRY_GRPC_UNAVAILABLE],
]);

export interface RetryPolicyConfig {
  /** Bit set of RETRY_* conditions. */
  retryOn: number;
  numRetries: number;
  /** 0: no per-try timeout (the route timeout alone applies). */
  perTryTimeoutMs: number;
  retriableStatusCodes: readonly number[];
  /** retry_host_predicate previous_hosts: a retry prefers a host not tried yet. */
  previousHosts: boolean;
  hostSelectionMaxAttempts: number;
  /** retry_priority previous_priorities: retries skip the priority levels (localities) already tried. */
  previousPriorities: boolean;
  /** previous_priorities update_frequency: tried levels are excluded every this many attempts. */
  priorityUpdateFrequency?: number;
}

export interface RetryBudgetConfig {
  /** Retries may add this percentage of the requests in the window. */
  budgetPercent: number;
  /** Retries always allowed per second regardless of the request rate. */
  minRetriesPerSecond: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetConfig = { budgetPercent: 20, minRetriesPerSecond: 10 };

/** How one attempt ended, as far as retrying is concerned. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; grpcStatus: number | undefined }
  /** No response: connect failure (UF), reset/closed (UC), protocol error (UPE) or per-try timeout (UT). */
  | { kind: 'reset'; flag: ResponseFlag };

/** Whether `policy` retries an attempt that ended this way (limits and budget not considered). */
export function isRetriable(policy: RetryPolicyConfig, outcome: AttemptOutcome): boolean {
  const on = policy.retryOn;
  if (outcome.kind === 'reset') {
    // A circuit breaker's fast failure is never retried (as Envoy: overflow is not a reset).
    if (outcome.flag === 'UO') return false;
    if (on & (RETRY_5XX | RETRY_GATEWAY_ERROR | RETRY_RESET)) return true;
    return outcome.flag === 'UF' && (on & RETRY_CONNECT_FAILURE) !== 0;
  }
  const s = outcome.status;
  if (s >= 500 && on & RETRY_5XX) return true;
  if ((s === 502 || s === 503 || s === 504) && on & RETRY_GATEWAY_ERROR) return true;
  if (s === 409 && on & RETRY_4XX) return true;
  if (on & RETRY_STATUS_CODES && policy.retriableStatusCodes.includes(s)) return true;
  if (outcome.grpcStatus !== undefined) {
    const bit = GRPC_BITS.get(outcome.grpcStatus);
    if (bit !== undefined && on & bit) return true;
  }
  return false;
}
