// The shared shape of every metric kind: a family (name, help, label names) owning one child
// series per distinct label-value tuple. Children are cached in a Map keyed by the label values
// joined with LABEL_KEY_SEPARATOR, so a lookup of an existing series costs one join and one Map
// get, and the child itself updates in place without allocating.

import { escapeLabelValue } from './exposition.js';

/** Joins label values into a child's cache key. Label values may not contain it. */
export const LABEL_KEY_SEPARATOR = '\u0001';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Milliseconds since the epoch (or any monotonic-enough origin); injectable for tests. */
export type Clock = () => number;

export interface MetricOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NO_VALUES: readonly string[] = [];

/** The cache key for a label-value tuple, the same one `MetricFamily.labels` uses. */
export function labelKey(values: readonly string[]): string {
  return values.join(LABEL_KEY_SEPARATOR);
}

/** One time series (one label-value tuple) of a family. */
export abstract class Series {
  /** True once the family dropped this series (expiry, `remove`, `clear`); updates are then lost. */
  removed = false;
  /** Set by every update; cleared when the update is stamped into `lastUpdated`. */
  protected touched = false;
  private stamp: number;
  private pairs: string | undefined;

  constructor(
    /** The label values joined with LABEL_KEY_SEPARATOR. */
    readonly key: string,
    readonly labelValues: readonly string[],
    private readonly clock: Clock,
  ) {
    this.stamp = clock();
  }

  /**
   * When this series was created or last updated, by the registry's clock. Updates only set a
   * flag (reading a clock per increment would cost more than the increment), and the time is
   * taken when the update is first noticed: by an expiry sweep or by reading this property. So
   * it is never earlier than the update, and late by at most the time until that notice.
   */
  get lastUpdated(): number {
    if (this.touched) {
      this.touched = false;
      this.stamp = this.clock();
    }
    return this.stamp;
  }

  /** `a="x",b="y"` (escaped), built on first scrape and kept; '' when the family has no labels. */
  labelPairs(labelNames: readonly string[]): string {
    if (this.pairs === undefined) {
      let s = '';
      for (let i = 0; i < labelNames.length; i++) {
        if (i > 0) s += ',';
        s += `${labelNames[i]}="${escapeLabelValue(this.labelValues[i] ?? '')}"`;
      }
      this.pairs = s;
    }
    return this.pairs;
  }
}

export type RemoveListener<C extends Series> = (child: C) => void;

export abstract class MetricFamily<C extends Series> {
  abstract readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  protected readonly children = new Map<string, C>();
  private readonly removeListeners: RemoveListener<C>[] = [];
  /** The single series of a family without labels (used by the shortcut methods). */
  protected root: C | undefined;

  constructor(
    opts: MetricOptions,
    protected readonly clock: Clock,
  ) {
    if (!METRIC_NAME.test(opts.name)) throw new TypeError(`invalid metric name "${opts.name}"`);
    const labelNames = [...(opts.labelNames ?? [])];
    const seen = new Set<string>();
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith('__')) {
        throw new TypeError(`metric ${opts.name}: invalid label name "${l}"`);
      }
      if (seen.has(l)) throw new TypeError(`metric ${opts.name}: duplicate label name "${l}"`);
      seen.add(l);
    }
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = labelNames;
  }

  protected abstract createChild(key: string, values: readonly string[]): C;
  /** Appends this family's sample lines (not HELP/TYPE) to `out`. */
  abstract renderSamples(out: string[]): void;

  /** The child for these label values (in `labelNames` order), created on first use. */
  labels(...values: string[]): C {
    return this.labelsFrom(values);
  }

  /** As `labels`, taking an array the caller may reuse afterwards (it is copied on creation). */
  labelsFrom(values: readonly string[]): C {
    const key = values.length === 1 ? (values[0] as string) : values.join(LABEL_KEY_SEPARATOR);
    const hit = this.children.get(key);
    if (hit !== undefined) return hit;
    return this.add(key, values);
  }

  /** The existing child for these label values, without creating one. */
  get(...values: string[]): C | undefined {
    return this.children.get(labelKey(values));
  }

  /** Number of live series. */
  get size(): number {
    return this.children.size;
  }

  series(): IterableIterator<C> {
    return this.children.values();
  }

  /** Drops the series with these label values. */
  remove(...values: string[]): boolean {
    const child = this.children.get(labelKey(values));
    if (child === undefined) return false;
    this.drop(child);
    this.restoreRoot();
    return true;
  }

  /** Drops every series (a family without labels starts again at a fresh zero series). */
  clear(): void {
    for (const child of this.children.values()) this.drop(child);
    this.restoreRoot();
  }

  /**
   * Drops series whose `lastUpdated` is before `cutoff` (clock time); a series updated since the
   * previous sweep is stamped now and kept. Families without labels never expire.
   */
  expireBefore(cutoff: number): number {
    if (this.labelNames.length === 0) return 0;
    let n = 0;
    for (const child of this.children.values()) {
      if (child.lastUpdated < cutoff) {
        this.drop(child);
        n++;
      }
    }
    return n;
  }

  /** Calls `listener` with each series this family drops. Returns an unsubscribe function. */
  onRemove(listener: RemoveListener<C>): () => void {
    this.removeListeners.push(listener);
    return () => {
      const i = this.removeListeners.indexOf(listener);
      if (i >= 0) this.removeListeners.splice(i, 1);
    };
  }

  /** The no-label series; throws if the family has labels. */
  protected rootChild(): C {
    if (this.root !== undefined) return this.root;
    return this.labelsFrom(NO_VALUES);
  }

  /** Creates the eager zero series of a family without labels, so it is exported before use. */
  protected initRoot(): void {
    if (this.labelNames.length === 0) this.root = this.labelsFrom(NO_VALUES);
  }

  private add(key: string, values: readonly string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new TypeError(
        `metric ${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`,
      );
    }
    for (const v of values) {
      if (typeof v !== 'string') throw new TypeError(`metric ${this.name}: label values must be strings`);
      if (v.includes(LABEL_KEY_SEPARATOR)) {
        throw new TypeError(`metric ${this.name}: label value contains the reserved character U+0001`);
      }
    }
    // Keys of stored children therefore hold exactly labelNames.length - 1 separators, so a
    // lookup whose values contain the separator can never hit a different series; it misses
    // and is rejected here.
    const child = this.createChild(key, values.slice());
    this.children.set(key, child);
    return child;
  }

  private drop(child: C): void {
    this.children.delete(child.key);
    child.removed = true;
    if (this.root === child) this.root = undefined;
    for (const l of this.removeListeners) l(child);
  }

  private restoreRoot(): void {
    if (this.root === undefined && this.labelNames.length === 0 && this.keepsRoot()) this.initRoot();
  }

  /** Whether a family without labels keeps an eager zero series (a callback gauge does not). */
  protected keepsRoot(): boolean {
    return true;
  }
}
