// Histogram: per-series bucket counts kept non-cumulative (one increment per observation) and
// summed into the cumulative `_bucket{le=...}` lines only at scrape time.

import { MetricFamily, Series } from './family.js';
import type { Clock, MetricOptions } from './family.js';
import { formatValue } from './exposition.js';

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, strictly increasing and finite; `+Inf` is implicit (a trailing one is dropped). */
  buckets: readonly number[];
}

export class HistogramChild extends Series {
  /** counts[i] observations fell in (bounds[i-1], bounds[i]]; the last slot is (last bound, +Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    key: string,
    values: readonly string[],
    clock: Clock,
    private readonly bounds: Float64Array,
  ) {
    super(key, values, clock);
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one observation. NaN is ignored. */
  observe(v: number): void {
    if (v !== v) return;
    const b = this.bounds;
    // First bound >= v (Prometheus buckets are upper-inclusive); b.length means +Inf.
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((b[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo] = (this.counts[lo] as number) + 1;
    this.sum += v;
    this.count++;
    this.touched = true;
  }
}

export class Histogram extends MetricFamily<HistogramChild> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  private readonly bounds: Float64Array;
  private readonly leLabels: string[];

  constructor(opts: HistogramOptions, clock: Clock) {
    super(opts, clock);
    if (this.labelNames.includes('le')) throw new TypeError(`histogram ${opts.name}: "le" is a reserved label`);
    this.buckets = validateBuckets(opts.name, opts.buckets);
    this.bounds = Float64Array.from(this.buckets);
    this.leLabels = [...this.buckets.map(formatValue), '+Inf'];
    this.initRoot();
  }

  /** Shortcut for a histogram without labels. */
  observe(v: number): void {
    this.rootChild().observe(v);
  }

  protected createChild(key: string, values: readonly string[]): HistogramChild {
    return new HistogramChild(key, values, this.clock, this.bounds);
  }

  renderSamples(out: string[]): void {
    const { name, leLabels } = this;
    for (const c of this.children.values()) {
      const pairs = c.labelPairs(this.labelNames);
      const lePrefix = pairs === '' ? '{le="' : `{${pairs},le="`;
      let cumulative = 0;
      for (let i = 0; i < leLabels.length; i++) {
        cumulative += c.counts[i] as number;
        out.push(`${name}_bucket${lePrefix}${leLabels[i]}"} ${formatValue(cumulative)}`);
      }
      const block = pairs === '' ? '' : `{${pairs}}`;
      out.push(`${name}_sum${block} ${formatValue(c.sum)}`);
      out.push(`${name}_count${block} ${formatValue(c.count)}`);
    }
  }
}

function validateBuckets(name: string, buckets: readonly number[]): number[] {
  const out = [...buckets];
  if (out.length > 0 && out[out.length - 1] === Infinity) out.pop();
  for (let i = 0; i < out.length; i++) {
    const b = out[i] as number;
    if (typeof b !== 'number' || !Number.isFinite(b)) {
      throw new TypeError(`histogram ${name}: bucket bounds must be finite numbers`);
    }
    if (i > 0 && !(b > (out[i - 1] as number))) {
      throw new TypeError(`histogram ${name}: bucket bounds must be strictly increasing`);
    }
  }
  return out;
}
