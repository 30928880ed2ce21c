// Gauge: a value that goes up and down, either set by the owner (set/inc/dec) or computed at
// scrape time by a `collect` callback (queue depths, connected proxies, ...).

import { LABEL_KEY_SEPARATOR, MetricFamily, Series, labelKey } from './family.js';
import type { Clock, MetricOptions } from './family.js';
import { escapeLabelValue, formatValue } from './exposition.js';

export interface GaugeSample {
  /** Label values in the gauge's `labelNames` order. */
  labels: string[];
  value: number;
}

export interface GaugeOptions extends MetricOptions {
  /**
   * Called on every render. Its samples are exported beside the series set with set/inc/dec; a
   * collected sample wins over a set series with the same labels. Samples whose label count does
   * not match are skipped; if the callback throws, only the set series are exported.
   */
  collect?: () => GaugeSample[];
}

export class GaugeChild extends Series {
  value = 0;

  set(v: number): void {
    this.value = v;
    this.touched = true;
  }

  inc(n = 1): void {
    this.value += n;
    this.touched = true;
  }

  dec(n = 1): void {
    this.value -= n;
    this.touched = true;
  }
}

export class Gauge extends MetricFamily<GaugeChild> {
  readonly type = 'gauge';
  readonly collect: (() => GaugeSample[]) | undefined;

  constructor(opts: GaugeOptions, clock: Clock) {
    super(opts, clock);
    this.collect = opts.collect;
    if (this.collect === undefined) this.initRoot();
  }

  /** Shortcuts for a gauge without labels. */
  set(v: number): void {
    this.rootChild().set(v);
  }

  inc(n = 1): void {
    this.rootChild().inc(n);
  }

  dec(n = 1): void {
    this.rootChild().dec(n);
  }

  protected override keepsRoot(): boolean {
    return this.collect === undefined;
  }

  protected createChild(key: string, values: readonly string[]): GaugeChild {
    return new GaugeChild(key, values, this.clock);
  }

  renderSamples(out: string[]): void {
    const collected = this.runCollect();
    for (const c of this.children.values()) {
      if (collected?.has(c.key)) continue;
      const pairs = c.labelPairs(this.labelNames);
      out.push(`${this.name}${pairs === '' ? '' : `{${pairs}}`} ${formatValue(c.value)}`);
    }
    if (collected === undefined) return;
    for (const s of collected.values()) {
      let pairs = '';
      for (let i = 0; i < this.labelNames.length; i++) {
        if (i > 0) pairs += ',';
        pairs += `${this.labelNames[i]}="${escapeLabelValue(s.labels[i] ?? '')}"`;
      }
      out.push(`${this.name}${pairs === '' ? '' : `{${pairs}}`} ${formatValue(s.value)}`);
    }
  }

  /** Collected samples by label key (last one wins), or undefined without a callback. */
  private runCollect(): Map<string, GaugeSample> | undefined {
    if (this.collect === undefined) return undefined;
    const byKey = new Map<string, GaugeSample>();
    let samples: GaugeSample[];
    try {
      samples = this.collect();
    } catch {
      return byKey;
    }
    if (!Array.isArray(samples)) return byKey;
    for (const s of samples) {
      if (!validSample(s, this.labelNames.length)) continue;
      byKey.set(labelKey(s.labels), s);
    }
    return byKey;
  }
}

function validSample(s: GaugeSample, labelCount: number): boolean {
  if (s === null || typeof s !== 'object' || typeof s.value !== 'number') return false;
  if (!Array.isArray(s.labels) || s.labels.length !== labelCount) return false;
  for (const v of s.labels) {
    if (typeof v !== 'string' || v.includes(LABEL_KEY_SEPARATOR)) return false;
  }
  return true;
}
