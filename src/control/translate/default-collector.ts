// The control plane as the default trace collector (pure). When no tracing provider is named for
// a proxy, its HTTP connection managers export OTLP/HTTP JSON to the control plane's HTTP port
// (POST /v1/traces): every proxy's CDS carries one cluster for that address (`weft-telemetry`,
// STATIC for an IP, STRICT_DNS for a name, like the static clusters of Istio's bootstrap), and
// the HCM `tracing` names an `envoy.tracers.opentelemetry` provider on it.
import net from 'node:net';
import { OTEL_CONFIG_TYPE_URL, OTEL_TRACER_NAME } from '../../proxy/telemetry/tracing/types.js';
import { COLLECTOR_CLUSTER, COLLECTOR_PATH } from '../model/collector.js';
import type { ProxyModel } from '../model/proxy.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Json } from './clusters.js';

/** The collector's host and port as this proxy reaches it; undefined when unknown. */
export function collectorEndpoint(snapshot: Snapshot, proxy: ProxyModel): { host: string; port: number } | undefined {
  const c = snapshot.collector;
  if (!c) return undefined;
  const host = c.host ?? proxy.xdsHost;
  return host ? { host, port: c.port } : undefined;
}

/** The collector cluster for this proxy's CDS, or none when the address is unknown. */
export function collectorClusters(snapshot: Snapshot, proxy: ProxyModel): Json[] {
  const ep = collectorEndpoint(snapshot, proxy);
  if (!ep) return [];
  return [
    {
      name: COLLECTOR_CLUSTER,
      type: net.isIP(ep.host) ? 'STATIC' : 'STRICT_DNS',
      connect_timeout: '10s',
      lb_policy: 'ROUND_ROBIN',
      load_assignment: {
        cluster_name: COLLECTOR_CLUSTER,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: ep.host, port_value: ep.port } } } }] }],
      },
    },
  ];
}

/** The HCM tracing provider exporting to the control plane, or undefined when its address is unknown. */
export function collectorProvider(snapshot: Snapshot, proxy: ProxyModel): Json | undefined {
  const ep = collectorEndpoint(snapshot, proxy);
  if (!ep) return undefined;
  const authority = net.isIPv6(ep.host) ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
  return {
    name: OTEL_TRACER_NAME,
    typed_config: {
      '@type': OTEL_CONFIG_TYPE_URL,
      http_service: { http_uri: { uri: `http://${authority}${COLLECTOR_PATH}`, cluster: COLLECTOR_CLUSTER, timeout: '5s' } },
    },
  };
}
