// Gauge: a value that goes up and down, either set by the owner (set/inc/dec) or computed at
// scrape time by a `collect` callback (queue depths, connected proxies, ...).

import { MetricFamily, Series } from './family.js';
import type { Clock, MetricOptions } from './family.js';
import { renderWithCollected, type CollectedSample } from './collect.js';

export type GaugeSample = CollectedSample;

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
    renderWithCollected(this.name, this.labelNames, this.children.values(), this.collect, out);
  }
}
