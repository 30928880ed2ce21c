// Samples computed at scrape time by a callback (`collect`), shared by gauges and counters: a
// counter whose value lives elsewhere (per-cluster request counts on the cluster runtime, CPU
// seconds from process.cpuUsage) is read only when scraped, so the hot path pays nothing.

import { LABEL_KEY_SEPARATOR, labelKey, type Series } from './family.js';
import { escapeLabelValue, formatValue } from './exposition.js';

export interface CollectedSample {
  /** Label values in the metric's `labelNames` order. */
  labels: string[];
  value: number;
}

/** Collected samples by label key (last one wins); a throwing callback yields none. */
export function runCollect(collect: () => CollectedSample[], labelCount: number): Map<string, CollectedSample> {
  const byKey = new Map<string, CollectedSample>();
  let samples: CollectedSample[];
  try {
    samples = collect();
  } catch {
    return byKey;
  }
  if (!Array.isArray(samples)) return byKey;
  for (const s of samples) {
    if (!validSample(s, labelCount)) continue;
    byKey.set(labelKey(s.labels), s);
  }
  return byKey;
}

/**
 * Appends the lines of a family whose series are set in place (`children`) and collected
 * (`collect`): a collected sample wins over a set series with the same labels.
 */
export function renderWithCollected(
  name: string,
  labelNames: readonly string[],
  children: Iterable<Series & { value: number }>,
  collect: (() => CollectedSample[]) | undefined,
  out: string[],
): void {
  const collected = collect === undefined ? undefined : runCollect(collect, labelNames.length);
  for (const c of children) {
    if (collected?.has(c.key)) continue;
    const pairs = c.labelPairs(labelNames);
    out.push(`${name}${pairs === '' ? '' : `{${pairs}}`} ${formatValue(c.value)}`);
  }
  if (collected === undefined) return;
  for (const s of collected.values()) {
    let pairs = '';
    for (let i = 0; i < labelNames.length; i++) {
      if (i > 0) pairs += ',';
      pairs += `${labelNames[i]}="${escapeLabelValue(s.labels[i] ?? '')}"`;
    }
    out.push(`${name}${pairs === '' ? '' : `{${pairs}}`} ${formatValue(s.value)}`);
  }
}

function validSample(s: CollectedSample, labelCount: number): boolean {
  if (s === null || typeof s !== 'object' || typeof s.value !== 'number') return false;
  if (!Array.isArray(s.labels) || s.labels.length !== labelCount) return false;
  for (const v of s.labels) {
    if (typeof v !== 'string' || v.includes(LABEL_KEY_SEPARATOR)) return false;
  }
  return true;
}
