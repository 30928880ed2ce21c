// Latency samples and their percentiles. Samples are kept exactly (a run at 1000 rps for 10 s is
// 10,000 numbers) and sorted once; percentiles use the nearest-rank definition, so every reported
// value is a latency that some request actually had.

export class LatencyRecorder {
  private samples: Float64Array;
  private n = 0;

  constructor(initialCapacity = 1024) {
    this.samples = new Float64Array(Math.max(16, initialCapacity));
  }

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    if (this.n === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** A sorted copy of the samples. */
  sorted(): Float64Array {
    return this.samples.slice(0, this.n).sort();
  }

  summary(): LatencySummary {
    return summarize(this.sorted());
  }
}

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Nearest-rank percentile of ascending-sorted values: the smallest value such that at least p% of
 * the values are <= it. p in [0, 100]. NaN for an empty input.
 */
export function percentile(sortedAsc: ArrayLike<number>, p: number): number {
  const n = sortedAsc.length;
  if (n === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedAsc[Math.min(n, rank) - 1] as number;
}

export function summarize(sortedAsc: ArrayLike<number>): LatencySummary {
  const n = sortedAsc.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sortedAsc[i] as number;
  return {
    count: n,
    min: n > 0 ? (sortedAsc[0] as number) : Number.NaN,
    mean: n > 0 ? sum / n : Number.NaN,
    p50: percentile(sortedAsc, 50),
    p90: percentile(sortedAsc, 90),
    p99: percentile(sortedAsc, 99),
    p999: percentile(sortedAsc, 99.9),
    max: n > 0 ? (sortedAsc[n - 1] as number) : Number.NaN,
  };
}
