// Exponential reconnect backoff with jitter (gRPC's connection-backoff shape: grow, cap, +-20%),
// so a fleet of proxies does not reconnect in lockstep after a control plane restart.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier?: number;
  /** Fraction of the delay randomised either way; 0.2 means +-20%. */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private current: number;

  constructor(opts: BackoffOptions) {
    this.initialMs = Math.max(1, opts.initialMs);
    this.maxMs = Math.max(this.initialMs, opts.maxMs);
    this.multiplier = opts.multiplier ?? 2;
    this.jitter = opts.jitter ?? 0.2;
    this.random = opts.random ?? Math.random;
    this.current = this.initialMs;
  }

  /** The delay before the next attempt; each call grows the following one up to the cap. */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.maxMs, this.current * this.multiplier);
    const spread = base * this.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.round(Math.min(this.maxMs, base + spread)));
  }

  /** Back to the initial delay, after a connection proved healthy. */
  reset(): void {
    this.current = this.initialMs;
  }
}
