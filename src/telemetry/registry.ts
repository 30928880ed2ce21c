// A Prometheus registry: owns metric families by name and renders them all in the text
// exposition format 0.0.4, in registration order.

import { Counter } from './counter.js';
import type { CounterOptions } from './counter.js';
import { Gauge } from './gauge.js';
import type { GaugeOptions } from './gauge.js';
import { Histogram } from './histogram.js';
import type { HistogramOptions } from './histogram.js';
import type { Clock } from './family.js';
import { escapeHelp } from './exposition.js';

export type Metric = Counter | Gauge | Histogram;

export interface RegistryOptions {
  /** Clock for `lastUpdated` and expiry, in milliseconds. Default `Date.now`. */
  now?: Clock;
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

export class Registry {
  private readonly families = new Map<string, Metric>();
  private readonly now: Clock;

  constructor(opts: RegistryOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * Registers a counter. Registering the same name again with the same kind and label names
   * returns the existing metric; any other clash throws.
   */
  counter(opts: CounterOptions): Counter {
    const existing = this.existing(opts.name, 'counter', opts.labelNames) as Counter | undefined;
    if (existing !== undefined) {
      if (existing.collect !== opts.collect) throw clash(opts.name, 'a different collect callback');
      return existing;
    }
    return this.add(new Counter(opts, this.now));
  }

  /** Registers a gauge; with `collect`, a re-registration must pass the same callback. */
  gauge(opts: GaugeOptions): Gauge {
    const existing = this.existing(opts.name, 'gauge', opts.labelNames) as Gauge | undefined;
    if (existing !== undefined) {
      if (existing.collect !== opts.collect) throw clash(opts.name, 'a different collect callback');
      return existing;
    }
    return this.add(new Gauge(opts, this.now));
  }

  /** Registers a histogram; a re-registration must use the same buckets. */
  histogram(opts: HistogramOptions): Histogram {
    const existing = this.existing(opts.name, 'histogram', opts.labelNames) as Histogram | undefined;
    if (existing !== undefined) {
      const fresh = new Histogram(opts, this.now); // validates and normalizes the bounds
      if (!sameList(existing.buckets, fresh.buckets)) throw clash(opts.name, 'different buckets');
      return existing;
    }
    return this.add(new Histogram(opts, this.now));
  }

  get(name: string): Metric | undefined {
    return this.families.get(name);
  }

  metrics(): IterableIterator<Metric> {
    return this.families.values();
  }

  /** Unregisters a metric; its series are dropped (remove listeners run). */
  remove(name: string): boolean {
    const m = this.families.get(name);
    if (m === undefined) return false;
    this.families.delete(name);
    m.clear();
    return true;
  }

  /**
   * Drops every labelled series not updated in the last `ms` milliseconds; returns how many.
   * Call it periodically: updates are timed when a sweep first notices them (see
   * Series.lastUpdated), so with sweeps every `s` ms an idle series goes between `ms` and
   * `ms + s` after its last update, never sooner. Metrics without labels and collected gauge
   * samples are never expired.
   */
  expireOlderThan(ms: number): number {
    const cutoff = this.now() - ms;
    let n = 0;
    for (const m of this.families.values()) n += m.expireBefore(cutoff);
    return n;
  }

  /** The text exposition format 0.0.4 (serve with PROMETHEUS_CONTENT_TYPE). */
  render(): string {
    const out: string[] = [];
    for (const m of this.families.values()) {
      out.push(`# HELP ${m.name} ${escapeHelp(m.help)}`);
      out.push(`# TYPE ${m.name} ${m.type}`);
      m.renderSamples(out);
    }
    return out.length === 0 ? '' : out.join('\n') + '\n';
  }

  private existing(name: string, type: Metric['type'], labelNames: readonly string[] = []): Metric | undefined {
    const m = this.families.get(name);
    if (m === undefined) {
      this.checkSampleNames(name, type);
      return undefined;
    }
    if (m.type !== type) throw clash(name, `type ${m.type}`);
    if (!sameList(m.labelNames, labelNames)) throw clash(name, `labels [${m.labelNames.join(', ')}]`);
    return m;
  }

  /** A histogram's `_bucket`/`_sum`/`_count` lines must not collide with another metric's name. */
  private checkSampleNames(name: string, type: Metric['type']): void {
    for (const m of this.families.values()) {
      if (m.type === 'histogram' && HISTOGRAM_SUFFIXES.some((s) => m.name + s === name)) {
        throw new Error(`metric ${name} collides with the samples of histogram ${m.name}`);
      }
      if (type === 'histogram' && HISTOGRAM_SUFFIXES.some((s) => name + s === m.name)) {
        throw new Error(`histogram ${name} would collide with metric ${m.name}`);
      }
    }
  }

  private add<M extends Metric>(m: M): M {
    this.families.set(m.name, m);
    return m;
  }
}

function clash(name: string, what: string): Error {
  return new Error(`metric ${name} is already registered with ${what}`);
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
