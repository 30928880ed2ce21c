// DestinationRule loadBalancer → Envoy: the cluster's lb_policy and its lb config (ring hash,
// maglev, slow start for warmup), and the route hash_policy consistentHash needs, as Istio emits
// them. The hash key is a property of the request, so it travels on the routes that target the
// host's clusters; the ring or table lives on the cluster.
import type { ConsistentHashLB, TrafficPolicy } from '../../api/types.js';
import type { Snapshot } from '../model/snapshot.js';
import { destinationRuleFor, lbPolicyOf } from './policy.js';
import { durationJson } from './routes.js';
import { trafficPolicyFor } from './traffic-policy.js';

type Json = Record<string, unknown>;

/** Envoy's (and Istio's) default minimum ring size. */
export const DEFAULT_MIN_RING_SIZE = 1024;

/** Sets lb_policy and, where the policy asks for one, the matching *_lb_config. */
export function applyLoadBalancer(cluster: Json, policy: TrafficPolicy | undefined): void {
  const lb = policy?.loadBalancer;
  const ch = lb?.consistentHash;
  if (ch) {
    if (ch.maglev) {
      cluster.lb_policy = 'MAGLEV';
      if (ch.maglev.tableSize) cluster.maglev_lb_config = { table_size: ch.maglev.tableSize };
    } else {
      cluster.lb_policy = 'RING_HASH';
      cluster.ring_hash_lb_config = { minimum_ring_size: ch.ringHash?.minimumRingSize || DEFAULT_MIN_RING_SIZE };
    }
    return;
  }
  const policyName = lbPolicyOf(policy);
  cluster.lb_policy = policyName;
  if (lb?.warmupMs === undefined || lb.warmupMs <= 0) return;
  const slowStart = { slow_start_config: { slow_start_window: durationJson(lb.warmupMs) } };
  if (policyName === 'ROUND_ROBIN') cluster.round_robin_lb_config = slowStart;
  else if (policyName === 'LEAST_REQUEST') cluster.least_request_lb_config = slowStart;
}

/** Istio's consistentHashToHashPolicy. */
export function hashPolicyJson(ch: ConsistentHashLB): Json[] {
  const k = ch.key;
  switch (k.kind) {
    case 'header':
      return [{ header: { header_name: k.name } }];
    case 'cookie': {
      const cookie: Json = { name: k.name };
      if (k.ttlMs !== undefined) cookie.ttl = durationJson(k.ttlMs);
      if (k.path !== undefined) cookie.path = k.path;
      return [{ cookie }];
    }
    case 'sourceIp':
      return [{ connection_properties: { source_ip: true } }];
    case 'queryParameter':
      return [{ query_parameter: { name: k.name } }];
  }
}

export interface HashTarget {
  host: string;
  subset: string | undefined;
  port: number;
}

/**
 * The hash_policy for a route to these destinations: the first destination whose effective
 * traffic policy (rule, subset, port) uses consistentHash decides; undefined when none does.
 */
export function routeHashPolicy(snapshot: Snapshot, targets: readonly HashTarget[]): Json[] | undefined {
  for (const t of targets) {
    const dr = destinationRuleFor(snapshot, t.host);
    if (!dr) continue;
    const subset = t.subset ? dr.spec.subsets.find((s) => s.name === t.subset) : undefined;
    const ch = trafficPolicyFor(dr, subset, t.port)?.loadBalancer?.consistentHash;
    if (ch) return hashPolicyJson(ch);
  }
  return undefined;
}
