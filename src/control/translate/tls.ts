// LDS for TLS passthrough ports (protocol TLS or HTTPS), Istio's VirtualService `tls` routes: the
// proxy never terminates TLS; it reads the SNI from the ClientHello (the tls_inspector listener
// filter) and picks a filter chain by `filter_chain_match.server_names`, each running tcp_proxy.
// Like plain TCP (./tcp.ts), each TLS service port P gets an outbound listener on the sidecar's
// own <ip>:P. Its chains, first match wins per name:
//   - every mesh VirtualService `tls` route match (port absent or P) → its weighted destinations;
//   - every other TLS service on P, by its own host name → outbound|P||<host> (SNI tells
//     services on one port apart, which plain TCP cannot);
//   - a default chain (no match) → the first TLS service's cluster (host name order).
import { resolveHost } from '../../api/hosts.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import type { ServiceModel } from '../model/services.js';
import { TCP_PROXY_FILTER, TCP_PROXY_TYPE_URL, TLS_INSPECTOR_FILTER, TLS_INSPECTOR_TYPE_URL } from '../../xds/network-filters.js';
import type { Json } from './clusters.js';
import { outboundClusterName } from './names.js';
import { boundGateways, hostCovers } from './routes.js';
import { l4RouteTarget, outboundTcpListenerName, RESERVED_PORTS } from './tcp.js';
import { withTcpTimeouts } from './tcp-timeouts.js';

export function isTlsProtocol(p: string): boolean {
  return p === 'TLS' || p === 'HTTPS';
}

function chain(statPrefix: string, target: Json, serverNames: string[] | undefined): Json {
  return {
    ...(serverNames ? { filter_chain_match: { server_names: serverNames } } : {}),
    filters: [{ name: TCP_PROXY_FILTER, typed_config: { '@type': TCP_PROXY_TYPE_URL, stat_prefix: statPrefix, ...target } }],
  };
}

/**
 * Outbound TLS passthrough listeners, one per TLS/HTTPS service port on the sidecar's address.
 * Ports the workload serves itself, the sidecar's own ports and ports in `taken` (already a plain
 * TCP listener) are skipped.
 */
export function outboundTlsListeners(snapshot: Snapshot, proxy: ProxyModel, inboundPorts: ReadonlySet<number>, taken: ReadonlySet<number>): Json[] {
  const ip = proxy.metadata.INSTANCE_IP;
  const reserved = new Set([...RESERVED_PORTS, proxy.metadata.OUTBOUND_PORT ?? 15001]);
  const byPort = new Map<number, ServiceModel[]>();
  const services = [...snapshot.services.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  for (const svc of services) {
    for (const p of svc.ports) {
      if (!isTlsProtocol(p.protocol) || reserved.has(p.number) || inboundPorts.has(p.number) || taken.has(p.number)) continue;
      const list = byPort.get(p.number) ?? [];
      if (!list.includes(svc)) list.push(svc);
      byPort.set(p.number, list);
    }
  }
  const meshVs = snapshot.virtualServices.filter((vs) => vs.spec.tls !== undefined && boundGateways(vs.spec.gateways, vs.metadata.namespace).includes('mesh'));
  return [...byPort.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([port, svcs]) => {
      const statPrefix = `outbound_${ip}_${port}`;
      const used = new Set<string>();
      const chains: Json[] = [];
      for (const vs of meshVs) {
        const ns = vs.metadata.namespace;
        if (!svcs.some((svc) => vs.spec.hosts.some((h) => hostCovers(resolveHost(h, ns), svc.host)))) continue;
        for (const r of vs.spec.tls ?? []) {
          const names = r.match
            .filter((m) => m.port === undefined || m.port === port)
            .flatMap((m) => m.sniHosts.map((h) => h.toLowerCase()))
            .filter((h) => !used.has(h) && (used.add(h), true));
          if (names.length === 0) continue;
          chains.push(chain(statPrefix, withTcpTimeouts(snapshot, l4RouteTarget(r.route, port, ns)), names));
        }
      }
      for (const svc of svcs) {
        if (used.has(svc.host)) continue;
        used.add(svc.host);
        chains.push(chain(statPrefix, withTcpTimeouts(snapshot, { cluster: outboundClusterName(port, '', svc.host) }), [svc.host]));
      }
      const first = svcs[0];
      if (first) chains.push(chain(statPrefix, withTcpTimeouts(snapshot, { cluster: outboundClusterName(port, '', first.host) }), undefined));
      return {
        name: outboundTcpListenerName(ip, port),
        address: { socket_address: { address: ip, port_value: port } },
        traffic_direction: 'OUTBOUND',
        listener_filters: [{ name: TLS_INSPECTOR_FILTER, typed_config: { '@type': TLS_INSPECTOR_TYPE_URL } }],
        filter_chains: chains,
      };
    });
}
