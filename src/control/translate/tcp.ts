// LDS for plain TCP ports (L4), Envoy style: each listener runs envoy.filters.network.tcp_proxy.
//   inbound:  a Workload port with protocol TCP → listener <ip>:<servicePort> → inbound|<port>||
//   outbound: there is no traffic capture, so every TCP service port P gets a listener on the
//             sidecar's own <ip>:P (apps connect to their instance address at the service port)
//             → outbound|P||<host>, or the VirtualService `tcp` route's weighted destinations.
import type { RouteDestination, VirtualService } from '../../api/types.js';
import { resolveHost } from '../../api/hosts.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import type { ServiceModel } from '../model/services.js';
import { TCP_PROXY_FILTER, TCP_PROXY_TYPE_URL } from '../../xds/network-filters.js';
import type { Json } from './clusters.js';
import { inboundClusterName, outboundClusterName } from './names.js';
import { boundGateways, hostCovers } from './routes.js';
import { withTcpTimeouts } from './tcp-timeouts.js';

/** Ports a sidecar already uses for itself: admin, explicit outbound HTTP, metrics. */
export const RESERVED_PORTS = new Set([15000, 15001, 15090]);

export function outboundTcpListenerName(ip: string, port: number): string {
  return `${ip}_${port}`;
}

/** tcp_proxy's routing part: one `cluster`, or `weighted_clusters` for a weighted split. */
export type TcpTarget = { cluster: string } | { weighted_clusters: { clusters: { name: string; weight: number }[] } };

function tcpListener(name: string, address: string, port: number, direction: 'INBOUND' | 'OUTBOUND', statPrefix: string, target: Json): Json {
  return {
    name,
    address: { socket_address: { address, port_value: port } },
    traffic_direction: direction,
    filter_chains: [
      {
        filters: [{ name: TCP_PROXY_FILTER, typed_config: { '@type': TCP_PROXY_TYPE_URL, stat_prefix: statPrefix, ...target } }],
      },
    ],
  };
}

/** Inbound TCP listeners for the local workload's TCP ports. */
export function inboundTcpListeners(ip: string, tcpPorts: readonly number[]): Json[] {
  return tcpPorts.map((port) => {
    const cluster = inboundClusterName(port);
    return tcpListener(`inbound|${port}`, ip, port, 'INBOUND', cluster, { cluster });
  });
}

/**
 * Outbound TCP listeners on the sidecar's own address, one per TCP service port. A port the
 * workload serves inbound is skipped (its inbound listener already holds <ip>:P; Istio would use
 * the original destination to tell them apart, which needs capture), as are the sidecar's own
 * ports. Two services on one TCP port cannot be told apart without capture either: the first host
 * in name order gets the port.
 */
export function outboundTcpListeners(snapshot: Snapshot, proxy: ProxyModel, inboundPorts: ReadonlySet<number>): Json[] {
  const ip = proxy.metadata.INSTANCE_IP;
  const reserved = new Set([...RESERVED_PORTS, proxy.metadata.OUTBOUND_PORT ?? 15001]);
  const byPort = new Map<number, ServiceModel>();
  const services = [...snapshot.services.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  for (const svc of services) {
    for (const p of svc.ports) {
      if (p.protocol !== 'TCP' || reserved.has(p.number) || inboundPorts.has(p.number) || byPort.has(p.number)) continue;
      byPort.set(p.number, svc);
    }
  }
  const meshVs = snapshot.virtualServices.filter((vs) => boundGateways(vs.spec.gateways, vs.metadata.namespace).includes('mesh'));
  return [...byPort.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([port, svc]) => {
      const vs = meshVs.find((v) => v.spec.tcp !== undefined && v.spec.hosts.some((h) => hostCovers(resolveHost(h, v.metadata.namespace), svc.host)));
      const target = (vs && tcpRouteTarget(vs, port)) ?? { cluster: outboundClusterName(port, '', svc.host) };
      return tcpListener(outboundTcpListenerName(ip, port), ip, port, 'OUTBOUND', `outbound_${ip}_${port}`, withTcpTimeouts(snapshot, target));
    });
}

/** The first `tcp` route whose match (absent: any) names this port, as tcp_proxy routing. */
export function tcpRouteTarget(vs: VirtualService, port: number): TcpTarget | undefined {
  const ns = vs.metadata.namespace;
  for (const r of vs.spec.tcp ?? []) {
    if (r.match.length > 0 && !r.match.some((m) => m.port === undefined || m.port === port)) continue;
    return l4RouteTarget(r.route, port, ns);
  }
  return undefined;
}

/** An L4 (tcp or tls) route's destinations as tcp_proxy routing: one cluster, or a weighted split. */
export function l4RouteTarget(route: readonly RouteDestination[], port: number, ns: string): TcpTarget {
  const clusters = route.map((d) => ({
    name: outboundClusterName(d.destination.port?.number ?? port, d.destination.subset ?? '', resolveHost(d.destination.host, ns)),
    weight: d.weight ?? (route.length === 1 ? 100 : 0),
  }));
  const first = clusters[0];
  if (clusters.length === 1 && first) return { cluster: first.name };
  return { weighted_clusters: { clusters: clusters.filter((c) => c.weight > 0) } };
}
