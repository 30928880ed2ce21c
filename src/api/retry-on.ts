// The retry conditions Istio accepts in VirtualService `retries.retryOn` (Envoy's x-envoy-retry-on
// and x-envoy-retry-grpc-on names); plain HTTP status codes ("503") are accepted besides these.

export const RETRY_ON_POLICIES: readonly string[] = [
  '5xx',
  'gateway-error',
  'reset',
  'connect-failure',
  'refused-stream',
  'retriable-4xx',
  'retriable-status-codes',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
];

/** Istio's retry conditions when a route has no `retries` (or `retries` without `retryOn`). */
export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';
/** Istio's default retriable status codes. */
export const DEFAULT_RETRIABLE_STATUS_CODES: readonly number[] = [503];
/** Istio's default number of retries. */
export const DEFAULT_RETRY_ATTEMPTS = 2;

/** VirtualService annotations that size the retry budget of the routes' destinations. */
export const RETRY_BUDGET_PERCENT_ANNOTATION = 'retry.weft.dev/budget-percent';
export const RETRY_BUDGET_MIN_PER_SECOND_ANNOTATION = 'retry.weft.dev/budget-min-retries-per-second';

export interface RetryBudgetAnnotations {
  budgetPercent?: number;
  minRetriesPerSecond?: number;
  /** [annotation key, problem] for values that are present but unusable (they are ignored). */
  problems: [string, string][];
}

/** Reads the retry-budget annotations; unusable values are reported and ignored. */
export function readRetryBudgetAnnotations(annotations: Readonly<Record<string, string>>): RetryBudgetAnnotations {
  const out: RetryBudgetAnnotations = { problems: [] };
  const read = (key: string, max: number): number | undefined => {
    const raw = annotations[key];
    if (raw === undefined) return undefined;
    const n = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 0 && n <= max)) {
      out.problems.push([key, `expected a number from 0 to ${max}, got "${raw}"; the default applies`]);
      return undefined;
    }
    return n;
  };
  const percent = read(RETRY_BUDGET_PERCENT_ANNOTATION, 1000);
  const perSecond = read(RETRY_BUDGET_MIN_PER_SECOND_ANNOTATION, 1_000_000);
  if (percent !== undefined) out.budgetPercent = percent;
  if (perSecond !== undefined) out.minRetriesPerSecond = perSecond;
  return out;
}
