// A cluster's hosts by priority level, with one picker per level (rings and tables stay per
// level) and the load state of lb/priority.ts, rebuilt only when the hosts change or the outlier
// detector ejects or returns a host.
import type { Host } from '../host.js';
import type { OutlierDetector } from '../outlier/detector.js';
import type { Picker } from './picker.js';
import { chooseLevel, levelsOf, loadExcluding, priorityState, type PriorityState } from './priority.js';

export class Priorities {
  private levels: Host[][] = [[]];
  private readonly pickers: Picker[];
  private state: PriorityState | null = null;
  private stateVersion = -1;

  constructor(
    level0: Picker,
    private readonly makePicker: () => Picker,
    private readonly rand: () => number = Math.random,
  ) {
    this.pickers = [level0];
  }

  get levelCount(): number {
    return this.levels.length;
  }

  setHosts(hosts: readonly Host[]): void {
    this.levels = levelsOf(hosts);
    this.state = null;
  }

  /** The current load per level (percent), for tests and the admin view. */
  load(od: OutlierDetector | null, panicThreshold: number): readonly number[] {
    return this.current(od, panicThreshold).load;
  }

  private current(od: OutlierDetector | null, panicThreshold: number): PriorityState {
    const version = od?.version ?? 0;
    if (!this.state || version !== this.stateVersion) {
      this.state = priorityState(this.levels, od ? (h) => od.isEjected(h) : () => false, panicThreshold);
      this.stateVersion = version;
    }
    return this.state;
  }

  availableExcluding(od: OutlierDetector | null, panicThreshold: number, excluded: ReadonlySet<number>): boolean {
    return loadExcluding(this.current(od, panicThreshold), excluded) !== null;
  }

  /**
   * A level by load (the request's hash decides it when there is one, as in Envoy), then a host
   * from that level's picker. `excluded`: levels a retry already tried (previous_priorities).
   */
  pick(
    od: OutlierDetector | null,
    panicThreshold: number,
    hashKey?: number,
    excluded?: ReadonlySet<number>,
    /** previous_hosts: hosts of the chosen level to avoid when the level has others. */
    tried?: readonly Host[],
  ): Host | undefined {
    const state = this.current(od, panicThreshold);
    const load = excluded && excluded.size > 0 ? (loadExcluding(state, excluded) ?? state.load) : state.load;
    const r = hashKey !== undefined ? hashKey % 100 : Math.floor(this.rand() * 100);
    const level = chooseLevel(load, r);
    if (level < 0) return undefined;
    let picker = this.pickers[level];
    if (!picker) {
      picker = this.makePicker();
      this.pickers[level] = picker;
    }
    const hosts = state.eligible[level] ?? [];
    if (tried && tried.length > 0) {
      const rest = hosts.filter((h) => !tried.includes(h));
      if (rest.length > 0) return picker.pick(rest);
    }
    return picker.pick(hosts, hashKey);
  }
}
