// RDS: VirtualService HTTP routes → Envoy RouteConfiguration. First match wins, as in Istio.
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from '../../api/types.js';
import { resolveHost, shortNames } from '../../api/hosts.js';
import type { Snapshot } from '../model/snapshot.js';
import { isHttpProtocol, labelsMatch, type ServiceModel } from '../model/services.js';
import type { ProxyModel } from '../model/proxy.js';
import type { Json } from './clusters.js';
import { outboundClusterName, OUTBOUND_ROUTE } from './names.js';
import { retryBudgetMetadata, retryPolicyJson } from './retry.js';
import { applyRouteFeatures } from './route-features.js';
import { routeHashPolicy, type HashTarget } from './load-balancer.js';
import { claimMatchers, isClaimHeader } from './claims-match.js';

/** Where routes are being built: the sidecar's mesh context or one gateway. */
export interface RouteContext {
  /** "mesh", or the gateway's "namespace/name". */
  gateway: string;
  /** The listener port the vhost serves (service port for sidecars, server port for gateways). */
  port: number;
  proxy: ProxyModel;
}

function stringMatcher(m: StringMatch): Json {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  return { safe_regex: { regex: m.regex ?? '' } };
}

function headerMatchers(headers: Record<string, StringMatch> | undefined, invert: boolean): Json[] {
  if (!headers) return [];
  return Object.entries(headers).filter(([name]) => !isClaimHeader(name)).map(([name, m]) => {
    const h: Json = { name: name.toLowerCase(), string_match: stringMatcher(m) };
    if (invert) h.invert_match = true;
    return h;
  });
}


/** The gateway names a VirtualService (or one of its matches) binds to, resolved to "ns/name". */
export function boundGateways(gateways: readonly string[], namespace: string): string[] {
  if (gateways.length === 0) return ['mesh'];
  return gateways.map((g) => (g === 'mesh' || g.includes('/') ? g : `${namespace}/${g}`));
}

/** Whether a match applies in this context (port, source labels, gateways), as Istio filters them. */
function matchApplies(m: HTTPMatchRequest, vs: VirtualService, ctx: RouteContext): boolean {
  if (m.port !== undefined && m.port !== ctx.port) return false;
  if (m.sourceLabels && !labelsMatch(m.sourceLabels, ctx.proxy.metadata.LABELS)) return false;
  if (m.gateways && m.gateways.length > 0 && !boundGateways(m.gateways, vs.metadata.namespace).includes(ctx.gateway)) return false;
  return true;
}

function routeMatch(m: HTTPMatchRequest | undefined): Json {
  const match: Json = {};
  const uri = m?.uri;
  if (!uri) match.prefix = '/';
  else if (uri.exact !== undefined) match.path = uri.exact;
  else if (uri.prefix !== undefined) match.prefix = uri.prefix;
  else match.safe_regex = { regex: uri.regex ?? '' };
  if (m?.ignoreUriCase) match.case_sensitive = false;
  const headers = [
    ...headerMatchers(m?.headers, false),
    ...headerMatchers(m?.withoutHeaders, true),
  ];
  if (m?.method) headers.push({ name: ':method', string_match: stringMatcher(m.method) });
  if (m?.authority) headers.push({ name: ':authority', string_match: stringMatcher(m.authority) });
  if (headers.length) match.headers = headers;
  const claims = [...claimMatchers(m?.headers, false), ...claimMatchers(m?.withoutHeaders, true)];
  if (claims.length) match.dynamic_metadata = claims;
  if (m?.queryParams) {
    match.query_parameters = Object.entries(m.queryParams).map(([name, q]) => ({ name, string_match: stringMatcher(q) }));
  }
  return match;
}

function destinationPort(snapshot: Snapshot, host: string, explicit: number | undefined, ctxPort: number): number {
  if (explicit !== undefined) return explicit;
  const svc = snapshot.services.get(host);
  const http = svc?.ports.filter((p) => isHttpProtocol(p.protocol)) ?? [];
  if (http.length === 1 && http[0]) return http[0].number;
  if (http.some((p) => p.number === ctxPort)) return ctxPort;
  return http[0]?.number ?? ctxPort;
}

function routeAction(snapshot: Snapshot, vs: VirtualService, r: HTTPRoute, ctx: RouteContext): Json {
  const ns = vs.metadata.namespace;
  const targets: HashTarget[] = [];
  const clusters = r.route.map((d) => {
    const host = resolveHost(d.destination.host, ns);
    const port = destinationPort(snapshot, host, d.destination.port?.number, ctx.port);
    targets.push({ host, subset: d.destination.subset, port });
    return { name: outboundClusterName(port, d.destination.subset ?? '', host), weight: d.weight ?? (r.route.length === 1 ? 100 : 0) };
  });
  const action: Json = {};
  const first = clusters[0];
  if (clusters.length === 1 && first) action.cluster = first.name;
  else action.weighted_clusters = { clusters };
  if (r.rewrite?.uri !== undefined) action.prefix_rewrite = r.rewrite.uri;
  if (r.rewrite?.authority !== undefined) action.host_rewrite_literal = r.rewrite.authority;
  action.timeout = r.timeoutMs !== undefined ? durationJson(r.timeoutMs) : '0s';
  const retry = retryPolicyJson(r.retries);
  if (retry) action.retry_policy = retry;
  const hashPolicy = routeHashPolicy(snapshot, targets);
  if (hashPolicy) action.hash_policy = hashPolicy;
  return action;
}

/** Milliseconds as a proto JSON duration ("1.5s"), never in exponent form. */
export function durationJson(ms: number): string {
  const fixed = (ms / 1000).toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
  return `${fixed === '' ? '0' : fixed}s`;
}

/** Envoy routes for one VirtualService in one context; empty if nothing applies. */
export function virtualServiceRoutes(snapshot: Snapshot, vs: VirtualService, ctx: RouteContext): Json[] {
  const routes: Json[] = [];
  const budget = retryBudgetMetadata(vs);
  vs.spec.http.forEach((r, i) => {
    const matches = r.match.length ? r.match : [undefined];
    for (const m of matches) {
      if (m && !matchApplies(m, vs, ctx)) continue;
      const route: Json = {
        name: `${vs.metadata.namespace}/${vs.metadata.name}/http[${i}]${r.name ? `/${r.name}` : ''}`,
        match: routeMatch(m),
        route: routeAction(snapshot, vs, r, ctx),
      };
      if (budget) route.metadata = budget;
      applyRouteFeatures(route, r, (d) => {
        const host = resolveHost(d.host, vs.metadata.namespace);
        return outboundClusterName(destinationPort(snapshot, host, d.port?.number, ctx.port), d.subset ?? '', host);
      });
      routes.push(route);
    }
  });
  return routes;
}

/** Does a VirtualService host (already resolved) cover this service host? */
export function hostCovers(vsHost: string, host: string): boolean {
  if (vsHost === host || vsHost === '*') return true;
  return vsHost.startsWith('*.') && host.endsWith(vsHost.slice(1));
}

function defaultRoute(snapshot: Snapshot, svc: ServiceModel, port: number): Json {
  const route: Json = { cluster: outboundClusterName(port, '', svc.host), timeout: '0s', retry_policy: retryPolicyJson(undefined) };
  const hashPolicy = routeHashPolicy(snapshot, [{ host: svc.host, subset: undefined, port }]);
  if (hashPolicy) route.hash_policy = hashPolicy;
  return { name: 'default', match: { prefix: '/' }, route };
}

function meshVirtualServices(snapshot: Snapshot): VirtualService[] {
  return snapshot.virtualServices.filter((vs) => boundGateways(vs.spec.gateways, vs.metadata.namespace).includes('mesh'));
}

function domainsFor(host: string, port: number, proxyNamespace: string): string[] {
  const names = [host, ...shortNames(host, proxyNamespace).filter((n) => n !== host)];
  const out: string[] = [];
  for (const n of names) {
    out.push(`${n}:${port}`);
    if (port === 80) out.push(n);
  }
  return out;
}

/** The sidecar's outbound route table: one virtual host per HTTP service port. */
export function outboundRouteConfig(snapshot: Snapshot, proxy: ProxyModel): Json {
  const meshVs = meshVirtualServices(snapshot);
  const virtualHosts: Json[] = [];
  const claimed = new Set<string>();
  for (const svc of snapshot.services.values()) {
    for (const port of svc.ports) {
      if (!isHttpProtocol(port.protocol)) continue;
      const ctx: RouteContext = { gateway: 'mesh', port: port.number, proxy };
      const vs = meshVs.find((v) => v.spec.hosts.some((h) => hostCovers(resolveHost(h, v.metadata.namespace), svc.host)));
      const routes = vs ? virtualServiceRoutes(snapshot, vs, ctx) : [defaultRoute(snapshot, svc, port.number)];
      const name = `${svc.host}:${port.number}`;
      claimed.add(name);
      virtualHosts.push({ name, domains: domainsFor(svc.host, port.number, proxy.metadata.NAMESPACE), routes });
    }
  }
  // VirtualService hosts that name no service (e.g. "shop.example.com") still get a virtual host.
  for (const vs of meshVs) {
    for (const h of vs.spec.hosts) {
      const host = resolveHost(h, vs.metadata.namespace);
      if (host.includes('*') || snapshot.services.has(host) || claimed.has(`${host}:80`)) continue;
      claimed.add(`${host}:80`);
      const routes = virtualServiceRoutes(snapshot, vs, { gateway: 'mesh', port: 80, proxy });
      virtualHosts.push({ name: `${host}:80`, domains: domainsFor(host, 80, proxy.metadata.NAMESPACE), routes });
    }
  }
  return { name: OUTBOUND_ROUTE, virtual_hosts: virtualHosts, validate_clusters: false };
}

/** Does a Gateway server host ("ns/host", "*\/host", "./host", "host") admit a VS host? */
function serverHostAdmits(serverHost: string, gatewayNs: string, vs: VirtualService, vsHost: string): boolean {
  let nsPart = '*';
  let hostPart = serverHost;
  const slash = serverHost.indexOf('/');
  if (slash >= 0) {
    nsPart = serverHost.slice(0, slash);
    hostPart = serverHost.slice(slash + 1);
  }
  if (nsPart === '.') nsPart = gatewayNs;
  if (nsPart !== '*' && nsPart !== vs.metadata.namespace) return false;
  return hostCovers(hostPart, vsHost) || hostCovers(vsHost, hostPart);
}

export interface GatewayServerPort {
  port: number;
  /** "namespace/name" of every Gateway with a server on this port, with that server's hosts. */
  servers: { gateway: string; namespace: string; hosts: string[] }[];
}

/** A gateway's route table for one server port: virtual hosts from bound VirtualServices. */
export function gatewayRouteConfig(snapshot: Snapshot, proxy: ProxyModel, sp: GatewayServerPort, name: string): Json {
  const virtualHosts: Json[] = [];
  const seen = new Set<string>();
  for (const server of sp.servers) {
    const ctx: RouteContext = { gateway: server.gateway, port: sp.port, proxy };
    for (const vs of snapshot.virtualServices) {
      if (!boundGateways(vs.spec.gateways, vs.metadata.namespace).includes(server.gateway)) continue;
      for (const h of vs.spec.hosts) {
        const host = h === '*' ? '*' : resolveHost(h, vs.metadata.namespace);
        if (!server.hosts.some((sh) => serverHostAdmits(sh, server.namespace, vs, host))) continue;
        if (seen.has(host)) continue;
        seen.add(host);
        virtualHosts.push({ name: `${host}:${sp.port}`, domains: [host], routes: virtualServiceRoutes(snapshot, vs, ctx) });
      }
    }
  }
  return { name, virtual_hosts: virtualHosts, validate_clusters: false };
}
