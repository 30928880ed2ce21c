// Slow start (Istio's warmupDurationSecs → Envoy's slow_start_config): a host's effective weight
// grows linearly from 10% (Envoy's default min_weight_percent) to its full weight over the window
// since it joined the cluster (aggression 1.0). Hosts present when the proxy started ramp
// together, so their relative weights are unchanged.
import type { Host } from '../host.js';
import type { WeightOf } from './picker.js';

export const MIN_WEIGHT_FRACTION = 0.1;

export function slowStartWeight(windowMs: number, now: () => number): WeightOf {
  return (h: Host) => {
    const w = h.endpoint.weight;
    const age = now() - h.addedAt;
    if (age >= windowMs) return w;
    return w * Math.max(MIN_WEIGHT_FRACTION, age / windowMs);
  };
}
