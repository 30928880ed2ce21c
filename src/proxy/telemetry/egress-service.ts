// Istio's destination service for traffic to hosts outside the registry (its stats plugin keys off
// the route and cluster names): route `allow_any` or cluster PassthroughCluster →
// destination_service_name "PassthroughCluster"; route `block_all` or cluster BlackHoleCluster →
// "BlackHoleCluster"; destination_service is the request's authority; the namespace is unknown.
import type { DestinationService } from './istio-metrics.js';

export const PASSTHROUGH = 'PassthroughCluster';
export const BLACKHOLE = 'BlackHoleCluster';

function egressName(routeName: string | undefined, clusterName: string | undefined): string | undefined {
  if (routeName === 'allow_any' || clusterName === PASSTHROUGH) return PASSTHROUGH;
  if (routeName === 'block_all' || clusterName === BLACKHOLE) return BLACKHOLE;
  return undefined;
}

/** The request's authority: the absolute-form target's host (as Envoy's codec makes it), else Host. */
export function requestAuthority(target: string, host: string | undefined): string {
  if (target.charCodeAt(0) !== 47 /* '/' */) {
    const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(target);
    if (m) return (m[1] ?? '').toLowerCase();
  }
  return (host ?? '').toLowerCase();
}

/** The destination service of a passthrough / blackholed request; undefined for mesh traffic. */
export function egressService(routeName: string | undefined, clusterName: string | undefined, target: string, host: string | undefined): DestinationService | undefined {
  const name = egressName(routeName, clusterName);
  if (name === undefined) return undefined;
  return { host: requestAuthority(target, host), name, namespace: 'unknown' };
}
