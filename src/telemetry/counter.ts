// Counter: a value that only goes up. Named exactly as given (Istio's `istio_requests_total`
// is a counter literally named that; nothing appends `_total`).

import { MetricFamily, Series } from './family.js';
import type { Clock, MetricOptions } from './family.js';
import { renderWithCollected, type CollectedSample } from './collect.js';

export interface CounterOptions extends MetricOptions {
  /**
   * Called on every render for counts kept elsewhere (as a gauge's `collect`); its samples are
   * exported beside the series incremented here, and win over one with the same labels.
   */
  collect?: () => CollectedSample[];
}

export class CounterChild extends Series {
  value = 0;

  /** Adds `n` (default 1); `n` must be a non-negative number. */
  inc(n = 1): void {
    if (!(n >= 0)) throw new RangeError(`counter increment must be >= 0, got ${n}`);
    this.value += n;
    this.touched = true;
  }
}

export class Counter extends MetricFamily<CounterChild> {
  readonly type = 'counter';
  readonly collect: (() => CollectedSample[]) | undefined;

  constructor(opts: CounterOptions, clock: Clock) {
    super(opts, clock);
    this.collect = opts.collect;
    if (this.collect === undefined) this.initRoot();
  }

  protected override keepsRoot(): boolean {
    return this.collect === undefined;
  }

  /** Shortcut for a counter without labels. */
  inc(n = 1): void {
    this.rootChild().inc(n);
  }

  protected createChild(key: string, values: readonly string[]): CounterChild {
    return new CounterChild(key, values, this.clock);
  }

  renderSamples(out: string[]): void {
    renderWithCollected(this.name, this.labelNames, this.children.values(), this.collect, out);
  }
}
