// Load balancers: a picker chooses a host among a cluster's hosts for one request.
import type { Host } from '../host.js';

export interface Picker {
  pick(hosts: readonly Host[]): Host | undefined;
}

/** Smooth weighted round robin would be next; plain round robin honours equal weights. */
export class RoundRobinPicker implements Picker {
  private next = 0;
  pick(hosts: readonly Host[]): Host | undefined {
    if (hosts.length === 0) return undefined;
    const h = hosts[this.next % hosts.length];
    this.next = (this.next + 1) % 1_000_000_007;
    return h;
  }
}

/** Envoy's default least-request: power of two random choices, fewer active requests wins. */
export class LeastRequestPicker implements Picker {
  constructor(private readonly rand: () => number = Math.random) {}
  pick(hosts: readonly Host[]): Host | undefined {
    const n = hosts.length;
    if (n <= 1) return hosts[0];
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
