// CDS: one outbound cluster per service port and subset, one inbound cluster per workload port.
import type { Snapshot } from '../model/snapshot.js';
import { isHttpProtocol, type ServiceModel } from '../model/services.js';
import type { ProxyModel } from '../model/proxy.js';
import { inboundClusterName, outboundClusterName } from './names.js';
import { destinationRuleFor } from './policy.js';
import { applyLoadBalancer } from './load-balancer.js';
import { lbEndpointsFor, subsetVariants } from './endpoints.js';
import { localWorkloadOf } from './workload.js';
import { applyTrafficPolicy, trafficPolicyFor } from './traffic-policy.js';
import type { Subset } from '../../api/types.js';
import { applyUpstreamProtocol } from './protocol.js';
import { applyUpstreamTls } from './upstream-tls.js';

export type Json = Record<string, unknown>;

const CONNECT_TIMEOUT = '10s';

function serviceMetadata(svc: ServiceModel, subset: string | undefined): Json {
  const istio: Json = { services: [{ host: svc.host, name: svc.name, namespace: svc.namespace }] };
  if (subset) istio.subset = subset;
  return { filter_metadata: { istio } };
}

export function isDns(svc: ServiceModel): boolean {
  return svc.resolution === 'DNS' || svc.resolution === 'DNS_ROUND_ROBIN';
}

export function outboundClusters(snapshot: Snapshot): Json[] {
  const out: Json[] = [];
  for (const svc of snapshot.services.values()) {
    const dr = destinationRuleFor(snapshot, svc.host);
    for (const port of svc.ports) {
      const variants: { subset: string; def: Subset | undefined }[] = [{ subset: '', def: undefined }];
      for (const s of dr?.spec.subsets ?? []) variants.push({ subset: s.name, def: s });
      const labelsBySubset = new Map(subsetVariants(snapshot, svc.host).map((s) => [s.name, s.labels]));
      for (const v of variants) {
        const name = outboundClusterName(port.number, v.subset, svc.host);
        const cluster: Json = { name };
        if (isDns(svc)) {
          // Host names cannot travel in EDS (Envoy accepts only IPs there): resolve in the proxy.
          cluster.type = svc.resolution === 'DNS_ROUND_ROBIN' ? 'LOGICAL_DNS' : 'STRICT_DNS';
          const eps = lbEndpointsFor(svc, port, labelsBySubset.get(v.subset) ?? {}, snapshot);
          cluster.load_assignment = { cluster_name: name, endpoints: eps.length ? [{ lb_endpoints: eps }] : [] };
        } else {
          cluster.type = 'EDS';
          cluster.eds_cluster_config = { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name };
        }
        cluster.connect_timeout = CONNECT_TIMEOUT;
        const policy = trafficPolicyFor(dr, v.def, port.number);
        applyLoadBalancer(cluster, policy);
        applyTrafficPolicy(cluster, policy);
        applyUpstreamProtocol(cluster, port.protocol);
        applyUpstreamTls(cluster, svc, port.number, v.subset, policy, snapshot.mesh.trustDomain);
        cluster.metadata = serviceMetadata(svc, v.subset || undefined);
        out.push(cluster);
      }
    }
  }
  return out;
}

export function inboundClusters(snapshot: Snapshot, proxy: ProxyModel): Json[] {
  const w = localWorkloadOf(snapshot, proxy);
  if (!w) return [];
  const svc = snapshot.services.get(w.host);
  // HTTP ports feed the inbound HTTP listener, TCP ports the inbound tcp_proxy listener.
  return w.workload.spec.ports.filter((p) => isHttpProtocol(p.protocol) || p.protocol === 'TCP').map((p) => {
    const name = inboundClusterName(p.servicePort);
    const cluster: Json = {
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
    applyUpstreamProtocol(cluster, p.protocol);
    return cluster;
  });
}
