// LDS: the sidecar's explicit outbound listener and inbound listeners; a gateway's server ports.
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import { HCM_TYPE_URL, ROUTER_TYPE_URL } from '../../xds/protos.js';
import type { Json } from './clusters.js';
import {
  gatewayListenerName,
  gatewayRouteName,
  inboundClusterName,
  inboundListenerName,
  OUTBOUND_LISTENER,
  OUTBOUND_ROUTE,
} from './names.js';
import { localWorkloadOf } from './workload.js';
import { isHttpProtocol } from '../model/services.js';
import type { GatewayServerPort } from './routes.js';
import { inboundTcpListeners, outboundTcpListeners } from './tcp.js';
import { outboundTlsListeners } from './tls.js';
import { jwtAuthnFilter } from './request-authn.js';

export const DEFAULT_OUTBOUND_PORT = 15001;

const ADS = { ads: {}, resource_api_version: 'V3' };
const ROUTER_FILTER = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL } };

function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

function hcmListener(name: string, address: string, port: number, direction: 'INBOUND' | 'OUTBOUND', hcm: Json): Json {
  return {
    name,
    address: socketAddress(address, port),
    traffic_direction: direction,
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            // WebSocket upgrades pass through, as Istio configures every HTTP connection manager.
            typed_config: { '@type': HCM_TYPE_URL, http_filters: [ROUTER_FILTER], upgrade_configs: [{ upgrade_type: 'websocket' }], ...hcm },
          },
        ],
      },
    ],
  };
}

export function sidecarListeners(snapshot: Snapshot, proxy: ProxyModel): Json[] {
  const ip = proxy.metadata.INSTANCE_IP;
  const outboundPort = proxy.metadata.OUTBOUND_PORT ?? DEFAULT_OUTBOUND_PORT;
  const out: Json[] = [
    hcmListener(OUTBOUND_LISTENER, ip, outboundPort, 'OUTBOUND', {
      stat_prefix: `outbound_${ip}_${outboundPort}`,
      rds: { route_config_name: OUTBOUND_ROUTE, config_source: ADS },
    }),
  ];
  const w = localWorkloadOf(snapshot, proxy);
  // RequestAuthentication (./request-authn.ts): jwt_authn before the router on inbound HCMs.
  const jwt = jwtAuthnFilter(snapshot, proxy);
  for (const p of (w?.workload.spec.ports ?? []).filter((port) => isHttpProtocol(port.protocol))) {
    const name = inboundListenerName(p.servicePort);
    out.push(
      hcmListener(name, ip, p.servicePort, 'INBOUND', {
        stat_prefix: `inbound_${ip}_${p.servicePort}`,
        ...(jwt ? { http_filters: [jwt, ROUTER_FILTER] } : {}),
        route_config: {
          name,
          virtual_hosts: [
            {
              name: `inbound|http|${p.servicePort}`,
              domains: ['*'],
              routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster: inboundClusterName(p.servicePort), timeout: '0s' } }],
            },
          ],
        },
      }),
    );
  }
  // Plain TCP ports (L4): tcp_proxy listeners, inbound for the workload's own, outbound for services'.
  const tcpPorts = (w?.workload.spec.ports ?? []).filter((port) => port.protocol === 'TCP').map((port) => port.servicePort);
  out.push(...inboundTcpListeners(ip, tcpPorts));
  const own = new Set((w?.workload.spec.ports ?? []).map((port) => port.servicePort));
  const tcpOut = outboundTcpListeners(snapshot, proxy, own);
  out.push(...tcpOut);
  // TLS/HTTPS ports: passthrough listeners routed by SNI (./tls.ts); a port plain TCP took is skipped.
  const tcpOutPorts = new Set(tcpOut.map((l) => ((l.address as { socket_address: { port_value: number } }).socket_address.port_value)));
  out.push(...outboundTlsListeners(snapshot, proxy, own, tcpOutPorts));
  return out;
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  if (entries.length === 0) return false;
  return entries.every(([k, v]) => labels[k] === v);
}

/** The HTTP server ports of every Gateway that selects this gateway proxy. */
export function gatewayServerPorts(snapshot: Snapshot, proxy: ProxyModel): GatewayServerPort[] {
  const byPort = new Map<number, GatewayServerPort>();
  for (const gw of snapshot.gateways) {
    if (!selects(gw.spec.selector, proxy.metadata.LABELS)) continue;
    for (const server of gw.spec.servers) {
      if (server.port.protocol !== 'HTTP' && server.port.protocol !== 'HTTP2') continue;
      const sp = byPort.get(server.port.number) ?? { port: server.port.number, servers: [] };
      sp.servers.push({ gateway: `${gw.metadata.namespace}/${gw.metadata.name}`, namespace: gw.metadata.namespace, hosts: server.hosts });
      byPort.set(server.port.number, sp);
    }
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

export function gatewayListeners(ports: GatewayServerPort[], proxy: ProxyModel, jwt?: Json): Json[] {
  const ip = proxy.metadata.INSTANCE_IP;
  return ports.map((sp) => {
    const bind = proxy.metadata.PORT_MAP?.[String(sp.port)] ?? sp.port;
    return hcmListener(gatewayListenerName(sp.port), ip, bind, 'OUTBOUND', {
      stat_prefix: `outbound_${ip}_${bind}`,
      ...(jwt ? { http_filters: [jwt, ROUTER_FILTER] } : {}),
      rds: { route_config_name: gatewayRouteName(sp.port), config_source: ADS },
      strip_any_host_port: true,
      use_remote_address: true,
    });
  });
}
