// CDS: one outbound cluster per service port and subset, one inbound cluster per workload port.
import type { Snapshot } from '../model/snapshot.js';
import type { ServiceModel } from '../model/services.js';
import type { ProxyModel } from '../model/proxy.js';
import { inboundClusterName, outboundClusterName } from './names.js';
import { destinationRuleFor, lbPolicyFor } from './policy.js';
import { localWorkloadOf } from './workload.js';

export type Json = Record<string, unknown>;

const CONNECT_TIMEOUT = '10s';

function serviceMetadata(svc: ServiceModel, subset: string | undefined): Json {
  const istio: Json = { services: [{ host: svc.host, name: svc.name, namespace: svc.namespace }] };
  if (subset) istio.subset = subset;
  return { filter_metadata: { istio } };
}

export function outboundClusters(snapshot: Snapshot): Json[] {
  const out: Json[] = [];
  for (const svc of snapshot.services.values()) {
    const dr = destinationRuleFor(snapshot, svc.host);
    for (const port of svc.ports) {
      const variants: { subset: string; lb: string }[] = [{ subset: '', lb: lbPolicyFor(dr, undefined) }];
      for (const s of dr?.spec.subsets ?? []) variants.push({ subset: s.name, lb: lbPolicyFor(dr, s) });
      for (const v of variants) {
        const name = outboundClusterName(port.number, v.subset, svc.host);
        out.push({
          name,
          type: 'EDS',
          eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name },
          connect_timeout: CONNECT_TIMEOUT,
          lb_policy: v.lb,
          metadata: serviceMetadata(svc, v.subset || undefined),
        });
      }
    }
  }
  return out;
}

export function inboundClusters(snapshot: Snapshot, proxy: ProxyModel): Json[] {
  const w = localWorkloadOf(snapshot, proxy);
  if (!w) return [];
  const svc = snapshot.services.get(w.host);
  return w.workload.spec.ports.map((p) => {
    const name = inboundClusterName(p.servicePort);
    return {
      name,
      type: 'STATIC',
      connect_timeout: CONNECT_TIMEOUT,
      lb_policy: 'ROUND_ROBIN',
      load_assignment: {
        cluster_name: name,
        endpoints: [
          { lb_endpoints: [{ endpoint: { address: { socket_address: { address: proxy.metadata.INSTANCE_IP, port_value: p.containerPort } } } }] },
        ],
      },
      metadata: svc ? serviceMetadata(svc, undefined) : { filter_metadata: { istio: { services: [] } } },
    };
  });
}
