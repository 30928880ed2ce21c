// One request's retry state, driven by the Exchange: decides after each failed attempt whether to
// try again (policy, retry limit, budget, replay buffer), how long to back off, and which host to
// try next (previous_hosts). The Exchange owns sockets and timers; this owns the decisions.
import type { Registry } from '../../../telemetry/registry.js';
import type { CounterChild, Counter } from '../../../telemetry/counter.js';
import type { RouteAction } from '../../config/types.js';
import type { ClusterRuntime } from '../../upstream/cluster-manager.js';
import type { Host } from '../../upstream/host.js';
import { retryBackoffMs } from './backoff.js';
import { RetryBudgets, type RetryBudget } from './budget.js';
import { isRetriable, type AttemptOutcome, type RetryPolicyConfig } from './policy.js';

/** A request body larger than this is not retried (Envoy's default per_request_buffer_limit). */
export const RETRY_BUFFER_LIMIT = 64 * 1024;

/** The process's budgets: one proxy per process, so one set. */
const budgets = new RetryBudgets();

interface RetryCounters {
  retry: Counter;
  limitExceeded: Counter;
  overflow: Counter;
}
let counters: RetryCounters | null = null;
const children = new Map<string, { retry: CounterChild; limitExceeded: CounterChild; overflow: CounterChild }>();

/** Registers Envoy's per-cluster retry counters in the proxy's registry. */
export function registerRetryMetrics(registry: Registry): void {
  const labelNames = ['cluster_name'];
  counters = {
    retry: registry.counter({ name: 'envoy_cluster_upstream_rq_retry', help: 'Retries sent upstream.', labelNames }),
    limitExceeded: registry.counter({ name: 'envoy_cluster_upstream_rq_retry_limit_exceeded', help: 'Requests not retried because the retry limit was reached.', labelNames }),
    overflow: registry.counter({ name: 'envoy_cluster_upstream_rq_retry_overflow', help: 'Requests not retried because the retry budget or the maxRetries circuit breaker said no.', labelNames }),
  };
  children.clear();
}

function statsFor(cluster: string): { retry: CounterChild; limitExceeded: CounterChild; overflow: CounterChild } | null {
  if (!counters) return null;
  let c = children.get(cluster);
  if (!c) {
    if (children.size >= 10_000) children.clear();
    c = { retry: counters.retry.labels(cluster), limitExceeded: counters.limitExceeded.labels(cluster), overflow: counters.overflow.labels(cluster) };
    children.set(cluster, c);
  }
  return c;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  /** urx: the failure was retriable but the retry limit or the budget said no. */
  | { retry: false; urx: boolean };

export class RetryController {
  private retries = 0;
  private readonly tried: Host[] = [];
  /** The request body so far, for replay; null once it outgrew the retry buffer. */
  private replay: Buffer[] | null = [];
  private replayBytes = 0;
  private readonly budget: RetryBudget;

  constructor(
    readonly policy: RetryPolicyConfig,
    private readonly action: RouteAction,
    private readonly clusterName: string,
  ) {
    this.budget = budgets.get(clusterName);
    this.budget.recordRequest();
  }

  /** The route's retry controller, or null when the route does not retry. */
  static forRoute(action: RouteAction, clusterName: string): RetryController | null {
    const p = action.retry;
    if (!p || p.numRetries <= 0) return null;
    return new RetryController(p, action, clusterName);
  }

  get perTryTimeoutMs(): number {
    return this.policy.perTryTimeoutMs;
  }

  /** Keeps a request body chunk for replay, up to the retry buffer limit. */
  bufferBody(data: Buffer): void {
    if (this.replay === null) return;
    this.replayBytes += data.length;
    if (this.replayBytes > RETRY_BUFFER_LIMIT) {
      this.replay = null;
      return;
    }
    this.replay.push(data);
  }

  /** The body is known to be larger than the retry buffer: never retried. */
  disableReplay(): void {
    this.replay = null;
  }

  /** The body received so far, to send again on a retry. */
  replayBody(): Buffer[] {
    return this.replay ? [...this.replay] : [];
  }

  noteHost(host: Host): void {
    this.tried.push(host);
  }

  /** After a failed attempt (nothing yet sent downstream): retry, and after what back-off? */
  decide(outcome: AttemptOutcome, cluster?: ClusterRuntime): RetryDecision {
    if (!isRetriable(this.policy, outcome)) return { retry: false, urx: false };
    // The body outgrew the buffer: it cannot be replayed (Envoy skips the retry, no flag).
    if (this.replay === null) return { retry: false, urx: false };
    const stats = statsFor(this.clusterName);
    if (this.retries >= this.policy.numRetries) {
      stats?.limitExceeded.inc();
      return { retry: false, urx: true };
    }
    // DestinationRule connectionPool.http.maxRetries: retries outstanding at once per cluster.
    if (cluster && !this.holdsRetrySlot && cluster.activeRetries >= cluster.config.pool.limits.maxRetries) {
      stats?.overflow.inc();
      return { retry: false, urx: true };
    }
    // A connect failure (UF) never reached the destination's app: retrying it adds no load there,
    // which is what the budget protects, so it does not draw on the budget (Linkerd's balancer
    // likewise steps around endpoints it cannot connect to). Everything else does.
    const reachedApp = !(outcome.kind === 'reset' && outcome.flag === 'UF');
    if (reachedApp && !this.budget.tryRetry(this.action.retryBudget)) {
      stats?.overflow.inc();
      return { retry: false, urx: true };
    }
    this.retries++;
    stats?.retry.inc();
    if (cluster && !this.holdsRetrySlot) {
      cluster.activeRetries++;
      this.holdsRetrySlot = cluster;
    }
    return { retry: true, delayMs: retryBackoffMs(this.retries) };
  }

  /** The cluster whose maxRetries slot this request holds while it is being retried. */
  private holdsRetrySlot: ClusterRuntime | null = null;

  /** Called once when the request ends: frees its retry slot. */
  release(): void {
    if (this.holdsRetrySlot) this.holdsRetrySlot.activeRetries--;
    this.holdsRetrySlot = null;
  }

  get retryCount(): number {
    return this.retries;
  }

  /** The host for the next attempt: with previous_hosts, one not tried yet when there is one. */
  pickHost(cluster: ClusterRuntime): Host | undefined {
    return this.policy.previousHosts ? cluster.pickUntried(this.tried) : cluster.pick();
  }
}
