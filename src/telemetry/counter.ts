// Counter: a value that only goes up. Named exactly as given (Istio's `istio_requests_total`
// is a counter literally named that; nothing appends `_total`).

import { MetricFamily, Series } from './family.js';
import type { Clock, MetricOptions } from './family.js';
import { formatValue } from './exposition.js';

export type CounterOptions = MetricOptions;

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

  constructor(opts: CounterOptions, clock: Clock) {
    super(opts, clock);
    this.initRoot();
  }

  /** Shortcut for a counter without labels. */
  inc(n = 1): void {
    this.rootChild().inc(n);
  }

  protected createChild(key: string, values: readonly string[]): CounterChild {
    return new CounterChild(key, values, this.clock);
  }

  renderSamples(out: string[]): void {
    for (const c of this.children.values()) {
      const pairs = c.labelPairs(this.labelNames);
      out.push(`${this.name}${pairs === '' ? '' : `{${pairs}}`} ${formatValue(c.value)}`);
    }
  }
}
