// Load balancers: a picker chooses a host among a cluster's hosts for one request.
import type { Host } from '../host.js';

export interface Picker {
  /**
   * `hashKey`: the request's 32-bit hash from the route's hash_policy, for RING_HASH and MAGLEV;
   * other pickers ignore it.
   */
  pick(hosts: readonly Host[], hashKey?: number): Host | undefined;
}

/** A host's weight as a picker sees it: the endpoint weight, or less while it warms up. */
export type WeightOf = (h: Host) => number;

export const endpointWeight: WeightOf = (h) => h.endpoint.weight;

function uniform(hosts: readonly Host[], weightOf: WeightOf): boolean {
  const first = hosts[0];
  const w = first ? weightOf(first) : 1;
  for (const h of hosts) if (weightOf(h) !== w) return false;
  return true;
}

/**
 * Round robin; with unequal endpoint weights, smooth weighted round robin (each pick adds every
 * host's weight to its score, takes the highest and subtracts the total), which interleaves
 * instead of sending runs to the heaviest host.
 */
export class RoundRobinPicker implements Picker {
  private next = 0;
  private readonly score = new WeakMap<Host, number>();
  constructor(private readonly weightOf: WeightOf = endpointWeight) {}
  pick(hosts: readonly Host[]): Host | undefined {
    if (hosts.length === 0) return undefined;
    if (uniform(hosts, this.weightOf)) {
      const h = hosts[this.next % hosts.length];
      this.next = (this.next + 1) % 1_000_000_007;
      return h;
    }
    let best: Host | undefined;
    let bestScore = -Infinity;
    let total = 0;
    for (const h of hosts) {
      const w = this.weightOf(h);
      total += w;
      const sc = (this.score.get(h) ?? 0) + w;
      this.score.set(h, sc);
      if (sc > bestScore) {
        bestScore = sc;
        best = h;
      }
    }
    if (best) this.score.set(best, bestScore - total);
    return best;
  }
}

/** A host chosen with probability proportional to its weight; `r` in [0, 1). */
function weightedDraw(hosts: readonly Host[], r: number, weightOf: WeightOf = endpointWeight): Host | undefined {
  let total = 0;
  for (const h of hosts) total += weightOf(h);
  let x = r * total;
  for (const h of hosts) {
    x -= weightOf(h);
    if (x < 0) return h;
  }
  return hosts[hosts.length - 1];
}

/** Envoy's default least-request: power of two random choices, fewer active requests wins. */
export class LeastRequestPicker implements Picker {
  constructor(
    private readonly rand: () => number = Math.random,
    private readonly weightOf: WeightOf = endpointWeight,
  ) {}
  pick(hosts: readonly Host[]): Host | undefined {
    const n = hosts.length;
    if (n <= 1) return hosts[0];
    const wo = this.weightOf;
    if (!uniform(hosts, wo)) {
      // Weighted: two weighted draws, fewer active requests per unit of weight wins.
      const a = weightedDraw(hosts, this.rand(), wo)!;
      const b = weightedDraw(hosts, this.rand(), wo)!;
      return b.active / wo(b) < a.active / wo(a) ? b : a;
    }
    const a = hosts[Math.floor(this.rand() * n)]!;
    let b = hosts[Math.floor(this.rand() * n)]!;
    if (a === b) b = hosts[(hosts.indexOf(a) + 1) % n]!;
    return b.active < a.active ? b : a;
  }
}

export class RandomPicker implements Picker {
  constructor(private readonly rand: () => number = Math.random) {}
  pick(hosts: readonly Host[]): Host | undefined {
    if (hosts.length === 0) return undefined;
    if (!uniform(hosts, endpointWeight)) return weightedDraw(hosts, this.rand());
    return hosts[Math.floor(this.rand() * hosts.length)];
  }
}

export function makePicker(policy: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM', weightOf: WeightOf = endpointWeight): Picker {
  switch (policy) {
    case 'ROUND_ROBIN':
      return new RoundRobinPicker(weightOf);
    case 'LEAST_REQUEST':
      return new LeastRequestPicker(Math.random, weightOf);
    case 'RANDOM':
      return new RandomPicker();
  }
}
