// Coalesces config change events: fires after `quietMs` without a new event, or `maxMs` after the
// first event of a burst, whichever comes first (Istio's PILOT_DEBOUNCE_AFTER / _MAX).
import type { KindName } from '../../api/types.js';

export interface ChangeEvent {
  kinds: ReadonlySet<KindName>;
  /** performance.now() when the change was observed at its source. */
  at: number;
}

export interface MergedChange {
  kinds: Set<KindName>;
  /** Time of the first event in the burst. */
  firstAt: number;
  events: number;
}

export interface DebounceOptions {
  quietMs: number;
  maxMs: number;
  now?: () => number;
}

export class Debouncer {
  private pending: MergedChange | null = null;
  private quietTimer: NodeJS.Timeout | null = null;
  private maxTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: DebounceOptions,
    private readonly fire: (change: MergedChange, debounceMs: number) => void,
  ) {}

  push(ev: ChangeEvent): void {
    if (!this.pending) {
      this.pending = { kinds: new Set(ev.kinds), firstAt: ev.at, events: 1 };
      this.maxTimer = setTimeout(() => this.flush(), this.opts.maxMs);
    } else {
      for (const k of ev.kinds) this.pending.kinds.add(k);
      this.pending.firstAt = Math.min(this.pending.firstAt, ev.at);
      this.pending.events++;
    }
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.flush(), this.opts.quietMs);
  }

  flush(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.quietTimer = this.maxTimer = null;
    const p = this.pending;
    this.pending = null;
    if (p) this.fire(p, (this.opts.now ? this.opts.now() : performance.now()) - p.firstAt);
  }

  stop(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.quietTimer = this.maxTimer = null;
    this.pending = null;
  }
}
