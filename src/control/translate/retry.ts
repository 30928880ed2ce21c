// VirtualService `retries` → Envoy RouteAction.retry_policy, as Istio converts it; and the Weft
// retry-budget annotations → route metadata the proxy reads (Envoy keeps budgets on the cluster's
// circuit breakers; Weft enforces them proxy-side per cluster, configured per route).
import type { HTTPRetry, VirtualService } from '../../api/types.js';
import { DEFAULT_RETRIABLE_STATUS_CODES, DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_ON, readRetryBudgetAnnotations } from '../../api/retry-on.js';
import type { Json } from './clusters.js';
import { durationJson } from './routes.js';

/** Route metadata namespace carrying the budget to the proxy. */
export const RETRY_BUDGET_METADATA = 'weft.retry_budget';

const PREVIOUS_HOSTS = {
  name: 'envoy.retry_host_predicates.previous_hosts',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
};

/** Istio's policy; undefined when retries are disabled (attempts 0). */
export function retryPolicyJson(r: HTTPRetry | undefined): Json | undefined {
  if (r !== undefined && r.attempts <= 0) return undefined;
  let retryOn = DEFAULT_RETRY_ON;
  let codes: readonly number[] = DEFAULT_RETRIABLE_STATUS_CODES;
  if (r?.retryOn !== undefined && r.retryOn.length > 0) {
    const names: string[] = [];
    const statuses: number[] = [];
    for (const item of r.retryOn) {
      if (/^\d+$/.test(item)) statuses.push(Number(item));
      else if (!names.includes(item)) names.push(item);
    }
    if (statuses.length > 0 && !names.includes('retriable-status-codes')) names.push('retriable-status-codes');
    retryOn = names.join(',');
    codes = statuses;
  }
  const out: Json = {
    retry_on: retryOn,
    num_retries: r?.attempts ?? DEFAULT_RETRY_ATTEMPTS,
  };
  if (r?.perTryTimeoutMs !== undefined) out.per_try_timeout = durationJson(r.perTryTimeoutMs);
  if (r?.retryRemoteLocalities) {
    out.retry_priority = {
      name: 'envoy.retry_priorities.previous_priorities',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
        update_frequency: 2,
      },
    };
  }
  out.retry_host_predicate = [PREVIOUS_HOSTS];
  out.host_selection_retry_max_attempts = 5;
  if (codes.length > 0) out.retriable_status_codes = [...codes];
  return out;
}

/** Route metadata for a VirtualService that sizes its retry budget; undefined for the defaults. */
export function retryBudgetMetadata(vs: VirtualService): Json | undefined {
  const { budgetPercent: percent, minRetriesPerSecond: perSecond } = readRetryBudgetAnnotations(vs.metadata.annotations);
  if (percent === undefined && perSecond === undefined) return undefined;
  const budget: Json = {};
  if (percent !== undefined) budget.budget_percent = percent;
  if (perSecond !== undefined) budget.min_retries_per_second = perSecond;
  return { filter_metadata: { [RETRY_BUDGET_METADATA]: budget } };
}
