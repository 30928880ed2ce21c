// Retry budgets, per destination cluster: over a sliding one-second window, retries are allowed
// while retries-in-window < minRetriesPerSecond + budgetPercent% × requests-in-window — "20% more
// than the request rate, plus 10 retries a second", Linkerd's formula.
// The window is ten 100 ms buckets, so the count slides in steps of 100 ms.
import { DEFAULT_RETRY_BUDGET, type RetryBudgetConfig } from './policy.js';

const BUCKETS = 10;
const BUCKET_MS = 100;

export class RetryBudget {
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  /** Absolute bucket number (time / BUCKET_MS) the ring was last advanced to. */
  private current = -1;
  private requestSum = 0;
  private retrySum = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  private advance(): number {
    const bucket = Math.floor(this.now() / BUCKET_MS);
    if (this.current < 0 || bucket - this.current >= BUCKETS) {
      this.requests.fill(0);
      this.retries.fill(0);
      this.requestSum = 0;
      this.retrySum = 0;
    } else {
      for (let b = this.current + 1; b <= bucket; b++) {
        const i = b % BUCKETS;
        this.requestSum -= this.requests[i]!;
        this.retrySum -= this.retries[i]!;
        this.requests[i] = 0;
        this.retries[i] = 0;
      }
    }
    if (bucket > this.current) this.current = bucket;
    return this.current % BUCKETS;
  }

  /** Counts one original request (not a retry). */
  recordRequest(): void {
    const i = this.advance();
    this.requests[i]!++;
    this.requestSum++;
  }

  /** Takes one retry from the budget; false when the budget is exhausted. */
  tryRetry(config: RetryBudgetConfig = DEFAULT_RETRY_BUDGET): boolean {
    const i = this.advance();
    const allowed = config.minRetriesPerSecond + (config.budgetPercent / 100) * this.requestSum;
    if (this.retrySum >= allowed) return false;
    this.retries[i]!++;
    this.retrySum++;
    return true;
  }

  get window(): { requests: number; retries: number } {
    this.advance();
    return { requests: this.requestSum, retries: this.retrySum };
  }
}

/** One budget per cluster name, kept across config updates (the rate is about the destination). */
export class RetryBudgets {
  private readonly byCluster = new Map<string, RetryBudget>();

  constructor(private readonly now?: () => number) {}

  get(cluster: string): RetryBudget {
    let b = this.byCluster.get(cluster);
    if (!b) {
      if (this.byCluster.size >= 10_000) this.byCluster.clear();
      b = new RetryBudget(this.now);
      this.byCluster.set(cluster, b);
    }
    return b;
  }
}
