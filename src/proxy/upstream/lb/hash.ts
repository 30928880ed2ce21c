// A fast 32-bit string hash for consistent hashing: the murmur3 (x86, 32-bit) block mix applied
// to each UTF-16 code unit, then its finalizer, so nearby inputs ("10.0.0.1:80_0", "..._1") land
// far apart on the ring and host points do not correlate with request keys.

export function hash32(s: string, seed = 0): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ s.length);
}

export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Envoy combines several hash policies' hashes: rotate left one bit, then xor. */
export function combine(acc: number, next: number): number {
  return (((acc << 1) | (acc >>> 31)) ^ next) >>> 0;
}

/** A random 32-bit key, for requests that produced no hash (Envoy picks randomly too). */
export function randomKey(rand: () => number = Math.random): number {
  return Math.floor(rand() * 0x1_0000_0000) >>> 0;
}
