// EDS: one ClusterLoadAssignment per outbound EDS cluster, filtered by subset labels.
import type { ServicePort } from '../../api/types.js';
import type { Snapshot } from '../model/snapshot.js';
import { endpointPort, labelsMatch, type ServiceEndpoint, type ServiceModel } from '../model/services.js';
import { isDns, type Json } from './clusters.js';
import { outboundClusterName } from './names.js';
import { subsetsFor } from './policy.js';


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

export function lbEndpointsFor(svc: ServiceModel, port: ServicePort, labels: Record<string, string>): Json[] {
  return svc.endpoints
    .filter((ep) => labelsMatch(labels, ep.labels))
    .map((ep) => ({
      endpoint: { address: { socket_address: { address: ep.address, port_value: endpointPort(ep, port) } } },
      ...(ep.workload !== 'unknown'
        ? { metadata: { filter_metadata: { istio: { workload: workloadMetadata(ep), service_account: ep.serviceAccount } } } }
        : {}),
      load_balancing_weight: ep.weight,
    }));
}

export function clusterLoadAssignments(snapshot: Snapshot): Json[] {
  const out: Json[] = [];
  for (const svc of snapshot.services.values()) {
    if (isDns(svc)) continue;
    const variants = subsetVariants(snapshot, svc.host);
    for (const port of svc.ports) {
      for (const v of variants) {
        const name = outboundClusterName(port.number, v.name, svc.host);
        const lbEndpoints = lbEndpointsFor(svc, port, v.labels);
        out.push({ cluster_name: name, endpoints: lbEndpoints.length ? [{ lb_endpoints: lbEndpoints }] : [] });
      }
    }
  }
  return out;
}
