// MeshConfig outboundTrafficPolicy → the sidecar's catch-all for hosts the mesh does not know, in
// Istio's shapes: a last virtual host `allow_any` (domains "*", route to PassthroughCluster) or
// `block_all` (direct_response 502), and the clusters PassthroughCluster (ORIGINAL_DST) and
// BlackHoleCluster (STATIC, no endpoints) in every sidecar's CDS.
//
// Envoy's PassthroughCluster takes the destination from the captured connection. Weft's sidecar is
// an explicit HTTP proxy (no capture), so the destination is the request's authority: the cluster
// sets original_dst_lb_config.use_http_header with http_header_name ":authority". Envoy would
// accept only an IP:port there; Weft's proxy also resolves names (node:dns) and defaults to port 80
// (proxy/upstream/original-dst.ts).
import type { MeshSettings } from '../model/mesh.js';
import type { Json } from './clusters.js';

export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
/** Istio's route / virtual host names for the two catch-alls (its stats key off them). */
export const ALLOW_ANY_ROUTE = 'allow_any';
export const BLOCK_ALL_ROUTE = 'block_all';
/** The status Istio's block_all answers a request for an unknown host with. */
export const BLOCK_ALL_STATUS = 502;

const CONNECT_TIMEOUT = '10s';

/** The catch-all virtual host that ends the sidecar's outbound route table. */
export function catchAllVirtualHost(mesh: MeshSettings): Json {
  if (mesh.outboundTrafficPolicy.mode === 'REGISTRY_ONLY') {
    return {
      name: BLOCK_ALL_ROUTE,
      domains: ['*'],
      routes: [{ name: BLOCK_ALL_ROUTE, match: { prefix: '/' }, direct_response: { status: BLOCK_ALL_STATUS } }],
    };
  }
  return {
    name: ALLOW_ANY_ROUTE,
    domains: ['*'],
    // Istio disables the route timeout for passthrough traffic (it knows nothing of the upstream).
    routes: [{ name: ALLOW_ANY_ROUTE, match: { prefix: '/' }, route: { cluster: PASSTHROUGH_CLUSTER, timeout: '0s' } }],
  };
}

/** The route config with the catch-all appended, unless a VirtualService already claims "*". */
export function withCatchAll(routeConfig: Json, mesh: MeshSettings): Json {
  const vhosts = (routeConfig.virtual_hosts as Json[] | undefined) ?? [];
  if (vhosts.some((v) => (v.domains as string[] | undefined)?.includes('*'))) return routeConfig;
  return { ...routeConfig, virtual_hosts: [...vhosts, catchAllVirtualHost(mesh)] };
}

/** PassthroughCluster and BlackHoleCluster: both always present on sidecars, as in Istio. */
export function egressClusters(): Json[] {
  return [
    {
      name: PASSTHROUGH_CLUSTER,
      type: 'ORIGINAL_DST',
      connect_timeout: CONNECT_TIMEOUT,
      lb_policy: 'CLUSTER_PROVIDED',
      original_dst_lb_config: { use_http_header: true, http_header_name: ':authority' },
    },
    { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: CONNECT_TIMEOUT },
  ];
}
