// DestinationRule lookups shared by cluster and endpoint translation.
import type { DestinationRule, SimpleLB, Subset, TrafficPolicy } from '../../api/types.js';
import type { Snapshot } from '../model/snapshot.js';

export type EnvoyLbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';

export function destinationRuleFor(snapshot: Snapshot, host: string): DestinationRule | undefined {
  return snapshot.destinationRules.get(host);
}

export function subsetsFor(snapshot: Snapshot, host: string): readonly Subset[] {
  return destinationRuleFor(snapshot, host)?.spec.subsets ?? [];
}

function mapLb(simple: SimpleLB | undefined): EnvoyLbPolicy | undefined {
  switch (simple) {
    case 'ROUND_ROBIN':
      return 'ROUND_ROBIN';
    case 'LEAST_REQUEST':
      return 'LEAST_REQUEST';
    case 'RANDOM':
      return 'RANDOM';
    default:
      return undefined;
  }
}

/** The Envoy lb_policy of an effective (merged) traffic policy; Istio's default is LEAST_REQUEST. */
export function lbPolicyOf(policy: TrafficPolicy | undefined): EnvoyLbPolicy {
  return mapLb(policy?.loadBalancer?.simple) ?? 'LEAST_REQUEST';
}
