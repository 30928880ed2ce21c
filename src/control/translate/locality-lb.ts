// Locality-aware EDS, as Istio builds it per client proxy: a cluster's endpoints grouped by
// locality (LocalityLbEndpoints), and, when locality load balancing is active, each group's
// `priority` by proximity to the client's locality, so the proxy prefers its own zone and fails
// over zone → region → elsewhere as hosts go unhealthy.
//
// Active (Istio's GetLocalityLbSetting + ApplyLocalityLoadBalancer): the cluster's effective traffic
// policy has outlierDetection (without it nothing ever marks hosts unhealthy, so Istio does not
// fail over) and its loadBalancer.localityLbSetting is not `enabled: false` (the mesh default is on).
//
// Priorities (Istio's applyLocalityFailover): 0 same region/zone/subzone, 1 same region/zone,
// 2 same region, 3 another region; with `failover` entries whose `from` is the client's region,
// other regions except `to` drop to 4. With `failoverPriority` (Istio's applyFailoverPriorities),
// each group is first split by the ordered labels: an endpoint matching the client on all labels
// gets 0, one whose first mismatch is label j gets n − j; `failover` then refines these (×5 + the
// locality priority). Priorities are renumbered 0..N without gaps.
import type { LocalityLbSetting, TrafficPolicy } from '../../api/types.js';
import { localityText, parseLocality, type Locality } from '../../api/locality.js';
import type { ServiceEndpoint } from '../model/services.js';
import type { ProxyModel } from '../model/proxy.js';
import { cmp } from '../model/services.js';
import type { Json } from './clusters.js';

/** Kubernetes/Istio topology labels: endpoints and proxies carry them for failoverPriority. */
export const TOPOLOGY_LABELS = {
  region: 'topology.kubernetes.io/region',
  zone: 'topology.kubernetes.io/zone',
  subZone: 'topology.istio.io/subzone',
} as const;

/** One LocalityLbEndpoints being built: its endpoints (model and Envoy JSON, same order). */
export interface LocalityGroup {
  locality: Locality;
  endpoints: ServiceEndpoint[];
  lbEndpoints: Json[];
  priority: number;
}

/** The setting in force for a cluster's policy, or undefined when locality LB is off for it. */
export function activeLocalityLb(policy: TrafficPolicy | undefined): LocalityLbSetting | undefined {
  if (!policy?.outlierDetection) return undefined;
  const s = policy.loadBalancer?.localityLbSetting ?? {};
  return s.enabled === false ? undefined : s;
}

/** Istio's LbPriority: how far an endpoint's locality is from the proxy's (0..3). */
export function lbPriority(proxy: Locality, ep: Locality): number {
  if (proxy.region !== ep.region) return 3;
  if (proxy.zone !== ep.zone) return 2;
  return proxy.subZone === ep.subZone ? 0 : 1;
}

/** Groups endpoints (and their JSON, index-aligned) by locality, sorted by locality text. */
export function groupByLocality(endpoints: readonly ServiceEndpoint[], lbEndpoints: readonly Json[]): LocalityGroup[] {
  const groups = new Map<string, LocalityGroup>();
  endpoints.forEach((ep, i) => {
    const key = ep.locality ?? '';
    let g = groups.get(key);
    if (!g) {
      g = { locality: parseLocality(ep.locality), endpoints: [], lbEndpoints: [], priority: 0 };
      groups.set(key, g);
    }
    g.endpoints.push(ep);
    g.lbEndpoints.push(lbEndpoints[i] ?? {});
  });
  return [...groups.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, g]) => g);
}

/** Renumbers priorities 0..N in order, without gaps. */
function compactPriorities(groups: LocalityGroup[]): void {
  const distinct = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  const rank = new Map(distinct.map((p, i) => [p, i]));
  for (const g of groups) g.priority = rank.get(g.priority) ?? 0;
}

export function applyLocalityFailover(client: Locality, groups: LocalityGroup[], failover: readonly { from: string; to: string }[]): void {
  for (const g of groups) {
    let p = lbPriority(client, g.locality);
    if (p === 3) {
      const rule = failover.find((f) => f.from === client.region);
      if (rule && g.locality.region !== rule.to) p = 4;
    }
    g.priority = g.priority * 5 + p;
  }
  compactPriorities(groups);
}

/** A label's value on an endpoint, topology labels filled from its locality when not set. */
function endpointLabel(ep: ServiceEndpoint, loc: Locality, label: string): string | undefined {
  return ep.labels[label] ?? topologyValue(loc, label);
}

function topologyValue(loc: Locality | undefined, label: string): string | undefined {
  if (!loc) return undefined;
  const v = label === TOPOLOGY_LABELS.region ? loc.region : label === TOPOLOGY_LABELS.zone ? loc.zone : label === TOPOLOGY_LABELS.subZone ? loc.subZone : undefined;
  return v === '' ? undefined : v;
}

/** Splits each group by failoverPriority labels ("name" or "name=value") matched against the client. */
export function applyFailoverPriorities(groups: LocalityGroup[], proxy: ProxyModel, failoverPriority: readonly string[]): LocalityGroup[] {
  const labels = failoverPriority.map((s) => {
    const eq = s.indexOf('=');
    return eq < 0 ? { name: s, value: undefined } : { name: s.slice(0, eq), value: s.slice(eq + 1) };
  });
  const clientValue = (name: string, override: string | undefined): string | undefined =>
    override ?? proxy.metadata.LABELS[name] ?? topologyValue(proxy.locality, name);
  const lowest = labels.length;
  const out: LocalityGroup[] = [];
  for (const g of groups) {
    const byPriority = new Map<number, LocalityGroup>();
    g.endpoints.forEach((ep, i) => {
      let p = 0;
      for (const [j, l] of labels.entries()) {
        if (clientValue(l.name, l.value) !== endpointLabel(ep, g.locality, l.name)) {
          p = lowest - j;
          break;
        }
      }
      let sub = byPriority.get(p);
      if (!sub) {
        sub = { locality: g.locality, endpoints: [], lbEndpoints: [], priority: p };
        byPriority.set(p, sub);
      }
      sub.endpoints.push(ep);
      sub.lbEndpoints.push(g.lbEndpoints[i] ?? {});
    });
    out.push(...[...byPriority.values()].sort((a, b) => a.priority - b.priority));
  }
  compactPriorities(out);
  return out;
}

/** Istio's ApplyLocalityLoadBalancer for one client proxy (distribute is not supported yet). */
export function prioritize(groups: LocalityGroup[], proxy: ProxyModel, setting: LocalityLbSetting): LocalityGroup[] {
  const client = proxy.locality ?? parseLocality(undefined);
  if (setting.failoverPriority && setting.failoverPriority.length > 0) {
    // Istio skips label failover for a proxy without labels.
    if (Object.keys(proxy.metadata.LABELS).length === 0 && !proxy.locality) return groups;
    const split = applyFailoverPriorities(groups, proxy, setting.failoverPriority);
    if (setting.failover && setting.failover.length > 0) applyLocalityFailover(client, split, setting.failover);
    return split;
  }
  applyLocalityFailover(client, groups, setting.failover ?? []);
  return groups;
}

function weightOf(lbEndpoints: readonly Json[]): number {
  let w = 0;
  for (const e of lbEndpoints) w += typeof e.load_balancing_weight === 'number' ? e.load_balancing_weight : 1;
  return w;
}

/**
 * ClusterLoadAssignment.endpoints for the groups. Without localities and priorities this is the
 * single plain group Weft always sent; otherwise each group carries its locality (when known), its
 * weight (the sum of its endpoints', as Istio sends it) and its priority (when not 0).
 */
export function localityLbEndpointsJson(groups: readonly LocalityGroup[]): Json[] {
  const nonEmpty = groups.filter((g) => g.lbEndpoints.length > 0);
  if (nonEmpty.length === 0) return [];
  const only = nonEmpty[0];
  if (nonEmpty.length === 1 && only && only.priority === 0 && localityText(only.locality) === '') return [{ lb_endpoints: only.lbEndpoints }];
  return [...nonEmpty]
    .sort((a, b) => a.priority - b.priority)
    .map((g) => {
      const out: Json = {};
      if (localityText(g.locality) !== '') {
        const l: Json = {};
        if (g.locality.region) l.region = g.locality.region;
        if (g.locality.zone) l.zone = g.locality.zone;
        if (g.locality.subZone) l.sub_zone = g.locality.subZone;
        out.locality = l;
      }
      out.lb_endpoints = g.lbEndpoints;
      out.load_balancing_weight = weightOf(g.lbEndpoints);
      if (g.priority > 0) out.priority = g.priority;
      return out;
    });
}
