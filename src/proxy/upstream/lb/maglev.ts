// MAGLEV (Google's Maglev paper, as Envoy implements it): a lookup table of prime size M filled
// by letting each host claim slots in its own pseudo-random permutation of 0..M-1 (offset, skip),
// in turns, a host of weight w taking w/maxWeight turns per round. A request's key picks
// table[key mod M]. When hosts change, most slots keep their owner.
import type { Host } from '../host.js';
import type { Picker } from './picker.js';
import { hash32, randomKey } from './hash.js';
import { HostSetTracker } from './host-set.js';

export function buildMaglevTable(input: readonly Host[], size: number): Host[] {
  // Sorted by key: the table depends only on the set of hosts, not on their order.
  const hosts = [...input].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const n = hosts.length;
  const table: Host[] = new Array<Host>(size);
  if (n === 0) return [];
  let maxW = 0;
  for (const h of hosts) maxW = Math.max(maxW, h.endpoint.weight);
  const offset = hosts.map((h) => hash32(h.key, 0x9e3779b9) % size);
  const skip = hosts.map((h) => (hash32(h.key, 0x7f4a7c15) % (size - 1)) + 1);
  const next = new Array<number>(n).fill(0);
  const credit = new Array<number>(n).fill(0);
  const owner = new Int32Array(size).fill(-1);
  let filled = 0;
  while (filled < size) {
    for (let i = 0; i < n && filled < size; i++) {
      credit[i]! += hosts[i]!.endpoint.weight / maxW;
      if (credit[i]! < 1) continue;
      credit[i]! -= 1;
      let c: number;
      do {
        c = (offset[i]! + next[i]! * skip[i]!) % size;
        next[i]!++;
      } while (owner[c]! >= 0);
      owner[c] = i;
      filled++;
    }
  }
  for (let s = 0; s < size; s++) table[s] = hosts[owner[s]!]!;
  return table;
}

export class MaglevPicker implements Picker {
  private table: Host[] = [];
  private readonly tracker = new HostSetTracker();

  constructor(
    private readonly tableSize: number,
    private readonly rand: () => number = Math.random,
  ) {}

  pick(hosts: readonly Host[], hashKey?: number): Host | undefined {
    if (hosts.length <= 1) return hosts[0];
    if (this.tracker.changed(hosts)) this.table = buildMaglevTable(hosts, this.tableSize);
    return this.table[(hashKey ?? randomKey(this.rand)) % this.table.length];
  }
}
