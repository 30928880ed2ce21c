// translate(snapshot, proxy) → the xDS resources that proxy should have. Pure: the same input
// always gives the same output, so the (snapshot version, proxy) pair is a complete cache key.
import type { XdsType } from '../../xds/protos.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import { inboundClusters, outboundClusters, type Json } from './clusters.js';
import { clusterLoadAssignments } from './endpoints.js';
import { gatewayListeners, gatewayServerPorts, sidecarListeners } from './listeners.js';
import { gatewayRouteConfig, outboundRouteConfig } from './routes.js';
import { gatewayRouteName } from './names.js';
import { jwtAuthnFilter } from './request-authn.js';
import { authzFilters } from './authz.js';
import { cmp } from '../model/services.js';
import { withTelemetry } from './telemetry.js';
import { withTracing } from './tracing.js';
import { egressClusters, withCatchAll } from './passthrough.js';
import { collectorClusters } from './default-collector.js';

export type ResourceSet = ReadonlyMap<string, Json>;
export type ProxyResources = Readonly<Record<XdsType, ResourceSet>>;

function byName(list: Json[], key: 'name' | 'cluster_name' = 'name'): Map<string, Json> {
  const m = new Map<string, Json>();
  for (const r of [...list].sort((a, b) => cmp(String(a[key]), String(b[key])))) m.set(String(r[key]), r);
  return m;
}

export function translateClusters(snapshot: Snapshot, proxy: ProxyModel): ResourceSet {
  const egress = proxy.metadata.type === 'router' ? [] : egressClusters();
  return byName([...outboundClusters(snapshot), ...inboundClusters(snapshot, proxy), ...egress, ...collectorClusters(snapshot, proxy)]);
}

export function translateEndpoints(snapshot: Snapshot, proxy: ProxyModel): ResourceSet {
  return byName(clusterLoadAssignments(snapshot, proxy), 'cluster_name');
}

export function translateListenersAndRoutes(snapshot: Snapshot, proxy: ProxyModel): { listeners: ResourceSet; routes: ResourceSet } {
  if (proxy.metadata.type === 'router') {
    const ports = gatewayServerPorts(snapshot, proxy);
    return {
      listeners: byName(
        withTracing(snapshot, proxy, withTelemetry(snapshot, proxy, gatewayListeners(ports, proxy, snapshot.mesh, authzFilters(snapshot, proxy).http, jwtAuthnFilter(snapshot, proxy)))),
      ),
      routes: byName(ports.map((sp) => gatewayRouteConfig(snapshot, proxy, sp, gatewayRouteName(sp.port)))),
    };
  }
  return { listeners: byName(withTracing(snapshot, proxy, withTelemetry(snapshot, proxy, sidecarListeners(snapshot, proxy)))), routes: byName([withCatchAll(outboundRouteConfig(snapshot, proxy), snapshot.mesh)]) };
}

export function translate(snapshot: Snapshot, proxy: ProxyModel): ProxyResources {
  const { listeners, routes } = translateListenersAndRoutes(snapshot, proxy);
  return {
    cluster: translateClusters(snapshot, proxy),
    endpoint: translateEndpoints(snapshot, proxy),
    listener: listeners,
    route: routes,
    secret: new Map(),
  };
}
