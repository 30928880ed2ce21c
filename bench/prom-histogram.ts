// One Prometheus histogram read from text exposition format, and the difference between two
// readings (what was observed during a test), with quantiles estimated from the buckets.

import { httpRequest } from './probe.js';

export interface HistogramSeries {
  /** Labels other than `le`, rendered `a="1",b="2"` (empty for none). */
  labels: string;
  /** Cumulative counts by upper bound, ascending; +Inf last. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseHistogram(text: string, name: string): HistogramSeries[] {
  const series = new Map<string, HistogramSeries>();
  const get = (labels: string): HistogramSeries => {
    let s = series.get(labels);
    if (s === undefined) {
      s = { labels, buckets: [], sum: 0, count: 0 };
      series.set(labels, s);
    }
    return s;
  };
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) continue;
    const m = LINE.exec(raw.trim());
    if (m === null) continue;
    const metric = m[1] ?? '';
    if (metric !== `${name}_bucket` && metric !== `${name}_sum` && metric !== `${name}_count`) continue;
    const value = Number(m[3]);
    let le: number | undefined;
    const rest: string[] = [];
    for (const lm of (m[2] ?? '').matchAll(LABEL)) {
      if (lm[1] === 'le') le = lm[2] === '+Inf' ? Number.POSITIVE_INFINITY : Number(lm[2]);
      else rest.push(`${lm[1]}="${lm[2]}"`);
    }
    const s = get(rest.join(','));
    if (metric.endsWith('_bucket') && le !== undefined) s.buckets.push({ le, count: value });
    else if (metric.endsWith('_sum')) s.sum = value;
    else if (metric.endsWith('_count')) s.count = value;
  }
  for (const s of series.values()) s.buckets.sort((a, b) => a.le - b.le);
  return [...series.values()];
}

/** after - before, per series (series absent before count as zero). */
export function diffHistograms(before: HistogramSeries[], after: HistogramSeries[]): HistogramSeries[] {
  return after.map((a) => {
    const b = before.find((x) => x.labels === a.labels);
    return {
      labels: a.labels,
      sum: a.sum - (b?.sum ?? 0),
      count: a.count - (b?.count ?? 0),
      buckets: a.buckets.map((bk) => ({
        le: bk.le,
        count: bk.count - (b?.buckets.find((x) => x.le === bk.le)?.count ?? 0),
      })),
    };
  });
}

/** Upper bound of the bucket holding quantile q (0..1); undefined when empty. */
export function bucketQuantile(s: HistogramSeries, q: number): number | undefined {
  if (s.count <= 0) return undefined;
  const target = q * s.count;
  for (const b of s.buckets) if (b.count >= target) return b.le;
  return undefined;
}

export async function fetchHistogram(httpPort: number, name: string): Promise<HistogramSeries[]> {
  const r = await httpRequest('127.0.0.1', httpPort, '/metrics', { timeoutMs: 3000 });
  if (r.status !== 200) throw new Error(`GET /metrics: status ${r.status}`);
  return parseHistogram(r.body, name);
}
