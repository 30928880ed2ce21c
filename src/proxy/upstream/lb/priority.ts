// Priority levels, as Envoy balances them: EDS gives each LocalityLbEndpoints a priority (Istio:
// by locality proximity to this proxy). Traffic goes to the lowest level with healthy (not ejected)
// hosts; as a level's hosts go unhealthy it spills to the next ones in proportion, using Envoy's
// overprovisioning factor 1.4 (a level with ≥ 72% healthy hosts still takes all its load).
//
// Envoy's math (LoadBalancerBase::recalculatePriorityLoad / distributeLoad):
//   health[p]  = min(100, 140 × healthy[p] / hosts[p])          (integer percent)
//   total      = min(100, Σ health)                              (normalized total availability)
//   load[p]    = min(remaining, health[p] × 100 / total), in priority order; what rounding leaves
//                goes to the first level that got load.
//   panic[p]   = total < 100 and healthy share of p below the panic threshold: p picks among all
//                its hosts. When every level is in panic, load follows host counts instead.
// Retries with previous_priorities recompute the load with the tried levels' health set to 0
// (all excluded: the normal load).
//
// The per-level host lists, loads and panic flags depend only on the hosts and on the outlier
// detector's version: computed when either changes, never per request.
import type { Host } from '../host.js';

/** Envoy's default overprovisioning factor (1.4), as an integer percent. */
export const OVERPROVISIONING_FACTOR = 140;

/** One level's health: min(100, 140 × healthy / hosts); 0 for an empty level. */
export function levelHealth(healthy: number, hosts: number): number {
  if (hosts <= 0) return 0;
  return Math.min(100, Math.floor((OVERPROVISIONING_FACTOR * healthy) / hosts));
}

/** Load per level (percent, sums to 100) from health per level; [] when no level is available. */
export function distributeLoad(health: readonly number[]): number[] {
  let sum = 0;
  for (const h of health) sum += h;
  const total = Math.min(100, sum);
  if (total === 0) return [];
  let remaining = 100;
  const load = health.map((h) => {
    const l = Math.min(remaining, Math.floor((h * 100) / total));
    remaining -= l;
    return l;
  });
  const firstLoaded = load.findIndex((l) => l > 0);
  if (remaining > 0 && firstLoaded >= 0) load[firstLoaded] = (load[firstLoaded] ?? 0) + remaining;
  return load;
}

/** Load by host count (every level in panic). */
function loadByHostCount(levels: readonly (readonly Host[])[]): number[] {
  let n = 0;
  for (const l of levels) n += l.length;
  if (n === 0) return [];
  let remaining = 100;
  const load = levels.map((l) => {
    const x = Math.floor((100 * l.length) / n);
    remaining -= x;
    return x;
  });
  const first = levels.findIndex((l) => l.length > 0);
  load[first] = (load[first] ?? 0) + remaining;
  return load;
}

/** The level a draw `r` in [0, 100) falls in; -1 when the load is empty. */
export function chooseLevel(load: readonly number[], r: number): number {
  let acc = 0;
  for (let i = 0; i < load.length; i++) {
    acc += load[i] ?? 0;
    if (r < acc) return i;
  }
  return load.length > 0 ? 0 : -1;
}

/** Hosts grouped by priority (index = priority; levels without hosts are empty lists). */
export function levelsOf(hosts: readonly Host[]): Host[][] {
  const levels: Host[][] = [];
  for (const h of hosts) {
    const p = h.endpoint.priority ?? 0;
    while (levels.length <= p) levels.push([]);
    levels[p]!.push(h);
  }
  if (levels.length === 0) levels.push([]);
  return levels;
}

/** The state hosts are picked from: per level, its health, the hosts a pick may use, and the load. */
export interface PriorityState {
  health: number[];
  /** Per level: the healthy hosts, or all hosts when the level is in panic. */
  eligible: (readonly Host[])[];
  load: number[];
}

/**
 * Builds the state for `levels` given which hosts are ejected. `panicThreshold` is
 * common_lb_config.healthy_panic_threshold (percent; 0 disables panic).
 */
export function priorityState(levels: readonly (readonly Host[])[], isEjected: (h: Host) => boolean, panicThreshold: number): PriorityState {
  const healthyLists = levels.map((l) => l.filter((h) => !isEjected(h)));
  const health = levels.map((l, i) => levelHealth(healthyLists[i]!.length, l.length));
  let load = distributeLoad(health);
  const total = Math.min(100, health.reduce((a, b) => a + b, 0));
  const panic = levels.map((l, i) => total < 100 && panicThreshold > 0 && (l.length === 0 || (100 * healthyLists[i]!.length) / l.length < panicThreshold));
  if (panic.length > 0 && panic.every((p) => p)) load = loadByHostCount(levels);
  // Nothing available and panic disabled: everything to P0, whose healthy list is empty (UH).
  if (load.length === 0) load = levels.map((_, i) => (i === 0 ? 100 : 0));
  const eligible = levels.map((l, i) => (panic[i] ? l : healthyLists[i]!));
  return { health, eligible, load };
}

/**
 * The load with the `excluded` levels' health taken as 0 (Envoy's previous_priorities); null when
 * that leaves nothing available (the caller forgets the exclusions and uses the normal load).
 */
export function loadExcluding(state: PriorityState, excluded: ReadonlySet<number>): number[] | null {
  const adjusted = state.health.map((h, i) => (excluded.has(i) ? 0 : h));
  const load = distributeLoad(adjusted);
  return load.length > 0 ? load : null;
}
