// Envoy's retry back-off: exponential with full jitter. The n-th retry (1-based) waits a uniformly
// random time in [0, min(base × 2^(n-1), max)); defaults base 25 ms, max 250 ms (10 × base).

export const BACKOFF_BASE_MS = 25;
export const BACKOFF_MAX_MS = 250;

export function retryBackoffMs(retry: number, rand: () => number = Math.random, baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(retry - 1, 30)));
  return Math.floor(rand() * ceiling);
}
