// EDS: one ClusterLoadAssignment per outbound EDS cluster, filtered by subset labels, grouped by
// locality and prioritized for the client proxy (./locality-lb.ts).
import type { ServicePort, TrafficPolicy } from '../../api/types.js';
import type { ProxyModel } from '../model/proxy.js';
import type { Snapshot } from '../model/snapshot.js';
import { endpointPort, labelsMatch, type ServiceEndpoint, type ServiceModel } from '../model/services.js';
import { isDns, type Json } from './clusters.js';
import { outboundClusterName } from './names.js';
import { destinationRuleFor, subsetsFor } from './policy.js';
import { activeLocalityLb, groupByLocality, localityLbEndpointsJson, prioritize } from './locality-lb.js';
import { trafficPolicyFor } from './traffic-policy.js';
import { endpointTlsMetadata } from './upstream-tls.js';


/** Istio's endpoint workload metadata: "name;namespace;canonical-service;revision;cluster". */
function workloadMetadata(ep: ServiceEndpoint): string {
  const app = ep.labels.app ?? ep.labels['service.istio.io/canonical-name'] ?? ep.workload;
  const version = ep.labels.version ?? ep.labels['service.istio.io/canonical-revision'] ?? 'latest';
  return `${ep.workload};${ep.namespace};${app};${version};${ep.labels['topology.istio.io/cluster'] ?? 'Kubernetes'}`;
}

/** The default (all endpoints) and one variant per DestinationRule subset. */
export function subsetVariants(snapshot: Snapshot, host: string): { name: string; labels: Record<string, string> }[] {
  return [{ name: '', labels: {} }, ...subsetsFor(snapshot, host).map((s) => ({ name: s.name, labels: s.labels }))];
}

/** Istio workload metadata and, for mTLS-capable workloads, the transport socket match. */
function endpointMetadata(snapshot: Snapshot, ep: ServiceEndpoint): Json {
  const fm: Json = { ...endpointTlsMetadata(snapshot, ep) };
  if (ep.workload !== 'unknown') fm.istio = { workload: workloadMetadata(ep), service_account: ep.serviceAccount };
  return Object.keys(fm).length > 0 ? { metadata: { filter_metadata: fm } } : {};
}

export function lbEndpointsFor(svc: ServiceModel, port: ServicePort, labels: Record<string, string>, snapshot: Snapshot): Json[] {
  return svc.endpoints
    .filter((ep) => labelsMatch(labels, ep.labels))
    .map((ep) => ({
      endpoint: { address: { socket_address: { address: ep.address, port_value: endpointPort(ep, port) } } },
      ...endpointMetadata(snapshot, ep),
      load_balancing_weight: ep.weight,
    }));
}

/** One cluster's LocalityLbEndpoints for `proxy`: grouped by locality, prioritized when locality LB is active. */
function localityEndpoints(
  snapshot: Snapshot,
  svc: ServiceModel,
  port: ServicePort,
  labels: Record<string, string>,
  policy: TrafficPolicy | undefined,
  proxy: ProxyModel,
): Json[] {
  const endpoints = svc.endpoints.filter((ep) => labelsMatch(labels, ep.labels));
  let groups = groupByLocality(endpoints, lbEndpointsFor(svc, port, labels, snapshot));
  const setting = activeLocalityLb(policy);
  if (setting) groups = prioritize(groups, proxy, setting);
  return localityLbEndpointsJson(groups);
}

/** EDS for one proxy: priorities depend on the client's locality (as Istio, per proxy). */
export function clusterLoadAssignments(snapshot: Snapshot, proxy: ProxyModel): Json[] {
  const out: Json[] = [];
  for (const svc of snapshot.services.values()) {
    if (isDns(svc)) continue;
    const variants = subsetVariants(snapshot, svc.host);
    const dr = destinationRuleFor(snapshot, svc.host);
    for (const port of svc.ports) {
      for (const v of variants) {
        const name = outboundClusterName(port.number, v.name, svc.host);
        const policy = trafficPolicyFor(dr, dr?.spec.subsets.find((s) => s.name === v.name && v.name !== ''), port.number);
        out.push({ cluster_name: name, endpoints: localityEndpoints(snapshot, svc, port, v.labels, policy, proxy) });
      }
    }
  }
  return out;
}
