// Cardinality protection: a timer that drops every labelled series not updated for `expiryMs`
// (Registry.expireOlderThan), so label sets that stop appearing (pods that went away, one-off
// response codes) leave the scrape instead of staying forever as they do in Envoy/Istio.
// A counter that expires and is updated again restarts from zero, which rate() treats as a reset.
import type { Registry } from './registry.js';

/** Default: series idle for 10 minutes expire. */
export const DEFAULT_METRICS_EXPIRY_MS = 10 * 60_000;

export interface Expiry {
  stop(): void;
}

/** Sweep period: a quarter of the expiry, between 250 ms and one minute. */
export function sweepPeriodMs(expiryMs: number): number {
  return Math.min(60_000, Math.max(250, Math.floor(expiryMs / 4)));
}

/** Starts periodic sweeps; `expiryMs` 0 (or less) disables expiry. */
export function startExpiry(registry: Registry, expiryMs: number): Expiry {
  if (!(expiryMs > 0)) return { stop: () => undefined };
  const timer = setInterval(() => registry.expireOlderThan(expiryMs), sweepPeriodMs(expiryMs));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
