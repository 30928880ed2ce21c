// Load balancers: a picker chooses a host among a cluster's hosts for one request.
import type { Host } from '../host.js';

export interface Picker {
  pick(hosts: readonly Host[]): Host | undefined;
}

function uniform(hosts: readonly Host[]): boolean {
  const w = hosts[0]?.endpoint.weight ?? 1;
  for (const h of hosts) if (h.endpoint.weight !== w) return false;
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
  pick(hosts: readonly Host[]): Host | undefined {
    if (hosts.length === 0) return undefined;
    if (uniform(hosts)) {
      const h = hosts[this.next % hosts.length];
      this.next = (this.next + 1) % 1_000_000_007;
      return h;
    }
    let best: Host | undefined;
    let bestScore = -Infinity;
    let total = 0;
    for (const h of hosts) {
      const w = h.endpoint.weight;
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
function weightedDraw(hosts: readonly Host[], r: number): Host | undefined {
  let total = 0;
  for (const h of hosts) total += h.endpoint.weight;
  let x = r * total;
  for (const h of hosts) {
    x -= h.endpoint.weight;
    if (x < 0) return h;
  }
  return hosts[hosts.length - 1];
}

/** Envoy's default least-request: power of two random choices, fewer active requests wins. */
export class LeastRequestPicker implements Picker {
  constructor(private readonly rand: () => number = Math.random) {}
  pick(hosts: readonly Host[]): Host | undefined {
    const n = hosts.length;
    if (n <= 1) return hosts[0];
    if (!uniform(hosts)) {
      // Weighted: two weighted draws, fewer active requests per unit of weight wins.
      const a = weightedDraw(hosts, this.rand())!;
      const b = weightedDraw(hosts, this.rand())!;
      return b.active / b.endpoint.weight < a.active / a.endpoint.weight ? b : a;
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
    if (!uniform(hosts)) return weightedDraw(hosts, this.rand());
    return hosts[Math.floor(this.rand() * hosts.length)];
  }
}

export function makePicker(policy: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM'): Picker {
  switch (policy) {
    case 'ROUND_ROBIN':
      return new RoundRobinPicker();
    case 'LEAST_REQUEST':
      return new LeastRequestPicker();
    case 'RANDOM':
      return new RandomPicker();
  }
}
