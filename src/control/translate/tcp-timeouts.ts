// A DestinationRule's connectionPool.tcp.idleTimeout and .maxConnectionDuration on an outbound
// tcp_proxy, as Istio sets them: idle_timeout and max_downstream_connection_duration, from the
// effective traffic policy (port-level settings and subset merged) of the destination's cluster.
// For a weighted split the first destination's policy applies. Nothing is added when the rule
// sets neither (the proxy then uses Envoy's 1h idle timeout and no duration limit).
import type { Snapshot } from '../model/snapshot.js';
import type { Json } from './clusters.js';
import { parseClusterName } from './names.js';
import { destinationRuleFor } from './policy.js';
import { durationJson } from './routes.js';
import type { TcpTarget } from './tcp.js';
import { trafficPolicyFor } from './traffic-policy.js';

export function withTcpTimeouts(snapshot: Snapshot, target: TcpTarget): Json {
  const name = 'cluster' in target ? target.cluster : target.weighted_clusters.clusters[0]?.name;
  const parsed = name === undefined ? null : parseClusterName(name);
  if (!parsed) return target;
  const dr = destinationRuleFor(snapshot, parsed.host);
  if (!dr) return target;
  const subset = parsed.subset ? dr.spec.subsets.find((s) => s.name === parsed.subset) : undefined;
  const tcp = trafficPolicyFor(dr, subset, parsed.port)?.connectionPool?.tcp;
  const out: Json = { ...target };
  if (tcp?.idleTimeoutMs !== undefined) out.idle_timeout = durationJson(tcp.idleTimeoutMs);
  if (tcp?.maxConnectionDurationMs !== undefined) out.max_downstream_connection_duration = durationJson(tcp.maxConnectionDurationMs);
  return out;
}
