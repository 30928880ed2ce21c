// RING_HASH (ketama-style ring, as Envoy's): each host is hashed onto a 32-bit ring at a number
// of points proportional to its weight; a request's hash key goes to the first point at or after
// it (wrapping). Removing one of N hosts moves only the keys that were on its points (~1/N).
import type { Host } from '../host.js';
import type { Picker } from './picker.js';
import { hash32, randomKey } from './hash.js';
import { HostSetTracker } from './host-set.js';

export interface RingSizes {
  minimumRingSize: number;
  maximumRingSize: number;
}

export interface Ring {
  /** Sorted point hashes. */
  points: Uint32Array;
  /** hosts[i] owns points[i]. */
  hosts: Host[];
}

/**
 * Every host gets weight × K points named "<address:port>_<i>", K the power of two that makes the
 * ring at least minimumRingSize (so between 1× and 2× of it), capped by maximumRingSize. Unlike
 * Envoy, which sizes every host's share to the exact minimum and so re-points all hosts whenever
 * one joins or leaves, K changes only when the total weight crosses a power of two: otherwise the
 * hosts that stay keep every one of their points and only the changed host's keys move. When K
 * does halve, each host keeps the first half of its points.
 */
export function pointsPerWeight(totalWeight: number, sizes: RingSizes): number {
  let k = 1;
  while (k * totalWeight < sizes.minimumRingSize) k *= 2;
  if (k * totalWeight > sizes.maximumRingSize) k = Math.max(1, Math.floor(sizes.maximumRingSize / totalWeight));
  return k;
}

export function buildRing(hosts: readonly Host[], sizes: RingSizes): Ring {
  let total = 0;
  for (const h of hosts) total += h.endpoint.weight;
  if (hosts.length === 0 || total <= 0) return { points: new Uint32Array(0), hosts: [] };
  const k = pointsPerWeight(total, sizes);
  const entries: { hash: number; host: Host }[] = [];
  for (const h of hosts) {
    const n = Math.max(1, Math.round(h.endpoint.weight * k));
    const key = h.key;
    for (let i = 0; i < n; i++) entries.push({ hash: hash32(`${key}_${i}`), host: h });
  }
  // Ties broken by host key so the ring does not depend on the order hosts arrived in.
  entries.sort((a, b) => a.hash - b.hash || (a.host.key < b.host.key ? -1 : a.host.key > b.host.key ? 1 : 0));
  const points = new Uint32Array(entries.length);
  const owners: Host[] = new Array<Host>(entries.length);
  entries.forEach((e, i) => {
    points[i] = e.hash;
    owners[i] = e.host;
  });
  return { points, hosts: owners };
}

/** The owner of the first point >= key, wrapping to the first point (binary search). */
export function ringLookup(ring: Ring, key: number): Host | undefined {
  const p = ring.points;
  if (p.length === 0) return undefined;
  let lo = 0;
  let hi = p.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (p[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return ring.hosts[lo === p.length ? 0 : lo];
}

export class RingHashPicker implements Picker {
  private ring: Ring = { points: new Uint32Array(0), hosts: [] };
  private readonly tracker = new HostSetTracker();

  constructor(
    private readonly sizes: RingSizes,
    private readonly rand: () => number = Math.random,
  ) {}

  pick(hosts: readonly Host[], hashKey?: number): Host | undefined {
    if (hosts.length <= 1) return hosts[0];
    if (this.tracker.changed(hosts)) this.ring = buildRing(hosts, this.sizes);
    return ringLookup(this.ring, hashKey ?? randomKey(this.rand));
  }

  get size(): number {
    return this.ring.points.length;
  }
}
