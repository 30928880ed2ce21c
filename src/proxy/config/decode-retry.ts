// RouteAction.retry_policy → RetryPolicyConfig, and the weft.retry_budget route metadata →
// RetryBudgetConfig. Only what the control plane emits is accepted; anything else is refused
// with its field path.
import { arr, ConfigRejection, durationMs, num, obj, only, str, type J } from './check.js';
import { RETRY_ON_BITS, type RetryBudgetConfig, type RetryPolicyConfig } from '../http/retry/policy.js';

const PREVIOUS_HOSTS = 'envoy.retry_host_predicates.previous_hosts';
const PREVIOUS_PRIORITIES = 'envoy.retry_priorities.previous_priorities';
export const RETRY_BUDGET_METADATA = 'weft.retry_budget';

function nonNegativeInt(v: unknown, path: string): number {
  // 64-bit integers arrive as strings from the proto JSON mapping.
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : num(v, path);
  if (!Number.isInteger(n) || n < 0) throw new ConfigRejection(path, 'expected a non-negative integer');
  return n;
}

function namedExtension(v: unknown, path: string, expected: string): void {
  const o = obj(v, path);
  only(o, path, ['name', 'typed_config']);
  const name = str(o.name, `${path}.name`);
  if (name !== expected) throw new ConfigRejection(`${path}.name`, `only ${expected} is supported, got "${name}"`);
}

const PREVIOUS_PRIORITIES_TYPE = 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig';

/** PreviousPrioritiesConfig.update_frequency (Envoy requires it > 0). */
function decodePreviousPriorities(v: unknown, path: string): number {
  const o = obj(v, path);
  only(o, path, ['@type', 'update_frequency']);
  if (o['@type'] !== PREVIOUS_PRIORITIES_TYPE) throw new ConfigRejection(`${path}.@type`, `expected ${PREVIOUS_PRIORITIES_TYPE}`);
  const n = nonNegativeInt(o.update_frequency ?? 0, `${path}.update_frequency`);
  if (n < 1) throw new ConfigRejection(`${path}.update_frequency`, 'must be greater than 0');
  return n;
}

export function decodeRetryPolicy(v: unknown, path: string): RetryPolicyConfig {
  const p = obj(v, path);
  only(p, path, ['retry_on', 'num_retries', 'per_try_timeout', 'retry_priority', 'retry_host_predicate', 'host_selection_retry_max_attempts', 'retriable_status_codes']);
  let retryOn = 0;
  for (const name of str(p.retry_on ?? '', `${path}.retry_on`).split(',')) {
    const n = name.trim();
    if (n === '') continue;
    const bit = RETRY_ON_BITS.get(n);
    if (bit === undefined) throw new ConfigRejection(`${path}.retry_on`, `unsupported retry condition "${n}"`);
    retryOn |= bit;
  }
  const hostPredicates = arr(p.retry_host_predicate, `${path}.retry_host_predicate`);
  hostPredicates.forEach((h, i) => namedExtension(h, `${path}.retry_host_predicate[${i}]`, PREVIOUS_HOSTS));
  let priorityUpdateFrequency: number | undefined;
  if (p.retry_priority !== undefined) {
    namedExtension(p.retry_priority, `${path}.retry_priority`, PREVIOUS_PRIORITIES);
    priorityUpdateFrequency = decodePreviousPriorities((p.retry_priority as J).typed_config, `${path}.retry_priority.typed_config`);
  }
  const codes = arr(p.retriable_status_codes, `${path}.retriable_status_codes`).map((c, i) => {
    const code = nonNegativeInt(c, `${path}.retriable_status_codes[${i}]`);
    if (code < 100 || code > 599) throw new ConfigRejection(`${path}.retriable_status_codes[${i}]`, 'expected an HTTP status code');
    return code;
  });
  return {
    retryOn,
    // Envoy's default when num_retries is absent is 1.
    numRetries: p.num_retries === undefined ? 1 : nonNegativeInt(p.num_retries, `${path}.num_retries`),
    perTryTimeoutMs: durationMs(p.per_try_timeout, `${path}.per_try_timeout`, 0),
    retriableStatusCodes: codes,
    previousHosts: hostPredicates.length > 0,
    hostSelectionMaxAttempts: p.host_selection_retry_max_attempts === undefined ? 1 : nonNegativeInt(p.host_selection_retry_max_attempts, `${path}.host_selection_retry_max_attempts`),
    previousPriorities: p.retry_priority !== undefined,
    ...(priorityUpdateFrequency !== undefined ? { priorityUpdateFrequency } : {}),
  };
}

/** The retry budget from route metadata, if the route carries one (other metadata is ignored). */
export function decodeRetryBudget(metadata: unknown, path: string): RetryBudgetConfig | undefined {
  if (metadata === undefined) return undefined;
  const m = obj(metadata, path);
  const fm = m.filter_metadata === undefined ? undefined : obj(m.filter_metadata, `${path}.filter_metadata`);
  const b = fm?.[RETRY_BUDGET_METADATA];
  if (b === undefined) return undefined;
  const bp = `${path}.filter_metadata["${RETRY_BUDGET_METADATA}"]`;
  const bo: J = obj(b, bp);
  only(bo, bp, ['budget_percent', 'min_retries_per_second']);
  const percent = bo.budget_percent === undefined ? 20 : num(bo.budget_percent, `${bp}.budget_percent`);
  const perSecond = bo.min_retries_per_second === undefined ? 10 : num(bo.min_retries_per_second, `${bp}.min_retries_per_second`);
  if (percent < 0) throw new ConfigRejection(`${bp}.budget_percent`, 'must not be negative');
  if (perSecond < 0) throw new ConfigRejection(`${bp}.min_retries_per_second`, 'must not be negative');
  return { budgetPercent: percent, minRetriesPerSecond: perSecond };
}
