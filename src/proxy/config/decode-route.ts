// RDS: RouteConfiguration → RouteTable with every matcher compiled once, here, not per request.
import { arr, bool, compileRegex, ConfigRejection, durationMs, num, obj, only, optStr, str, type J } from './check.js';
import type { HeaderMatcher, Route, RouteTable, StringMatcher, VirtualHost, WeightedCluster } from './types.js';
import { decodeRetryBudget, decodeRetryPolicy } from './decode-retry.js';
import { decodeRouteFilters, HEADER_FIELDS, ROUTE_FEATURE_FIELDS } from './decode-route-features.js';
import { hashPolicyOf } from './decode-lb.js';
import { decodeClaimMatcher, type ClaimMatcher } from '../security/jwt/claims-match.js';

function stringMatcher(m: J, path: string): StringMatcher {
  only(m, path, ['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'ignore_case']);
  const ignoreCase = bool(m.ignore_case, `${path}.ignore_case`, false);
  if (m.exact !== undefined) return { kind: 'exact', value: str(m.exact, `${path}.exact`), ignoreCase };
  if (m.prefix !== undefined) return { kind: 'prefix', value: str(m.prefix, `${path}.prefix`), ignoreCase };
  if (m.safe_regex !== undefined) {
    const sr = obj(m.safe_regex, `${path}.safe_regex`);
    only(sr, `${path}.safe_regex`, ['regex', 'google_re2']);
    const value = str(sr.regex, `${path}.safe_regex.regex`);
    return { kind: 'regex', value, regex: compileRegex(value, `${path}.safe_regex.regex`, ignoreCase), ignoreCase };
  }
  throw new ConfigRejection(path, 'expected exact, prefix or safe_regex');
}

function headerMatcher(h: J, path: string): HeaderMatcher {
  only(h, path, ['name', 'string_match', 'present_match', 'invert_match', 'exact_match', 'prefix_match']);
  const name = str(h.name, `${path}.name`).toLowerCase();
  const invert = bool(h.invert_match, `${path}.invert_match`, false);
  if (h.string_match !== undefined) return { name, matcher: stringMatcher(obj(h.string_match, `${path}.string_match`), `${path}.string_match`), invert };
  if (h.exact_match !== undefined) return { name, matcher: { kind: 'exact', value: str(h.exact_match, `${path}.exact_match`), ignoreCase: false }, invert };
  if (h.prefix_match !== undefined) return { name, matcher: { kind: 'prefix', value: str(h.prefix_match, `${path}.prefix_match`), ignoreCase: false }, invert };
  return { name, matcher: null, invert: h.present_match === false ? !invert : invert };
}

/** dynamic_metadata: JWT claim matchers only (../security/jwt/claims-match.ts). */
function claimMatchersOf(v: unknown, path: string): { claims?: ClaimMatcher[] } {
  if (v === undefined) return {};
  return { claims: arr(v, path).map((c, i) => decodeClaimMatcher(obj(c, `${path}[${i}]`), `${path}[${i}]`, stringMatcher)) };
}

function decodeRoute(r: J, path: string): Route {
  only(r, path, ['name', 'match', 'route', 'metadata', 'decorator', ...ROUTE_FEATURE_FIELDS]);
  const filters = decodeRouteFilters(r, path, r.route === undefined ? undefined : obj(r.route, `${path}.route`));
  const m = obj(r.match, `${path}.match`);
  only(m, `${path}.match`, ['prefix', 'path', 'safe_regex', 'case_sensitive', 'headers', 'query_parameters', 'dynamic_metadata']);
  const caseSensitive = bool(m.case_sensitive, `${path}.match.case_sensitive`, true);
  let pathMatch: Route['match']['path'];
  if (m.prefix !== undefined) pathMatch = { kind: 'prefix', value: str(m.prefix, `${path}.match.prefix`), caseSensitive };
  else if (m.path !== undefined) pathMatch = { kind: 'exact', value: str(m.path, `${path}.match.path`), caseSensitive };
  else if (m.safe_regex !== undefined) {
    const sr = obj(m.safe_regex, `${path}.match.safe_regex`);
    only(sr, `${path}.match.safe_regex`, ['regex', 'google_re2']);
    const re = str(sr.regex, `${path}.match.safe_regex.regex`);
    pathMatch = { kind: 'regex', value: re, regex: compileRegex(re, `${path}.match.safe_regex.regex`, !caseSensitive), caseSensitive };
  } else throw new ConfigRejection(`${path}.match`, 'expected prefix, path or safe_regex');
  if (!caseSensitive && pathMatch.kind !== 'regex') pathMatch.value = pathMatch.value.toLowerCase();
  const headers = arr(m.headers, `${path}.match.headers`).map((h, i) => headerMatcher(obj(h, `${path}.match.headers[${i}]`), `${path}.match.headers[${i}]`));
  const query = arr(m.query_parameters, `${path}.match.query_parameters`).map((q, i) => {
    const qp = `${path}.match.query_parameters[${i}]`;
    const qo = obj(q, qp);
    only(qo, qp, ['name', 'string_match', 'present_match']);
    return { name: str(qo.name, `${qp}.name`), matcher: qo.string_match === undefined ? null : stringMatcher(obj(qo.string_match, `${qp}.string_match`), `${qp}.string_match`) };
  });

  // redirect / direct_response routes answer locally (route.filters.local): no cluster is used.
  const a = r.route === undefined ? { cluster: '' } : obj(r.route, `${path}.route`);
  const ap = `${path}.route`;
  only(a, ap, ['cluster', 'weighted_clusters', 'prefix_rewrite', 'host_rewrite_literal', 'timeout', 'retry_policy', 'hash_policy', 'request_mirror_policies']);
  let clusters: WeightedCluster[];
  if (a.cluster !== undefined) clusters = [{ name: str(a.cluster, `${ap}.cluster`), weight: 1 }];
  else if (a.weighted_clusters !== undefined) {
    const wc = obj(a.weighted_clusters, `${ap}.weighted_clusters`);
    only(wc, `${ap}.weighted_clusters`, ['clusters', 'total_weight']);
    clusters = arr(wc.clusters, `${ap}.weighted_clusters.clusters`).map((c, i) => {
      const cp = `${ap}.weighted_clusters.clusters[${i}]`;
      const co = obj(c, cp);
      only(co, cp, ['name', 'weight', ...HEADER_FIELDS]);
      const weight = co.weight === undefined ? 0 : num(co.weight, `${cp}.weight`);
      if (weight < 0 || !Number.isInteger(weight)) throw new ConfigRejection(`${cp}.weight`, 'expected a non-negative integer');
      return { name: str(co.name, `${cp}.name`), weight };
    });
    if (clusters.length === 0) throw new ConfigRejection(`${ap}.weighted_clusters.clusters`, 'must not be empty');
  } else throw new ConfigRejection(ap, 'expected cluster or weighted_clusters');
  const totalWeight = clusters.reduce((s, c) => s + c.weight, 0);
  const declaredTotal = (a.weighted_clusters as J | undefined)?.total_weight;
  if (declaredTotal !== undefined && num(declaredTotal, `${ap}.weighted_clusters.total_weight`) !== totalWeight) {
    throw new ConfigRejection(`${ap}.weighted_clusters.total_weight`, `is ${String(declaredTotal)} but the weights add up to ${totalWeight}`);
  }
  if (totalWeight <= 0) throw new ConfigRejection(`${ap}.weighted_clusters`, 'weights must add up to more than 0');
  return {
    ...(filters ? { filters } : {}),
    name: typeof r.name === 'string' ? r.name : '',
    match: { path: pathMatch, headers, query, ...claimMatchersOf(m.dynamic_metadata, `${path}.match.dynamic_metadata`) },
    action: {
      clusters,
      totalWeight,
      prefixRewrite: optStr(a.prefix_rewrite, `${ap}.prefix_rewrite`),
      hostRewrite: optStr(a.host_rewrite_literal, `${ap}.host_rewrite_literal`),
      timeoutMs: durationMs(a.timeout, `${ap}.timeout`, 15000),
      retry: a.retry_policy === undefined ? undefined : decodeRetryPolicy(a.retry_policy, `${ap}.retry_policy`),
      retryBudget: decodeRetryBudget(r.metadata, `${path}.metadata`),
      ...hashPolicyOf(a.hash_policy, `${ap}.hash_policy`),
    },
  };
}

export function decodeRouteConfig(rc: J, base?: string): RouteTable {
  const name = str(rc.name, `${base ?? 'route'}.name`);
  const p = base ?? `route ${name}`;
  only(rc, p, ['name', 'virtual_hosts', 'validate_clusters']);
  bool(rc.validate_clusters, `${p}.validate_clusters`, false);
  const virtualHosts: VirtualHost[] = arr(rc.virtual_hosts, `${p}.virtual_hosts`).map((v, i) => {
    const vp = `${p}.virtual_hosts[${i}]`;
    const vo = obj(v, vp);
    only(vo, vp, ['name', 'domains', 'routes']);
    const domains = arr(vo.domains, `${vp}.domains`).map((d, j) => str(d, `${vp}.domains[${j}]`).toLowerCase());
    if (domains.length === 0) throw new ConfigRejection(`${vp}.domains`, 'must not be empty');
    const routes = arr(vo.routes, `${vp}.routes`).map((r, j) => decodeRoute(obj(r, `${vp}.routes[${j}]`), `${vp}.routes[${j}]`));
    return { name: str(vo.name, `${vp}.name`), domains, routes };
  });
  const exact = new Map<string, VirtualHost>();
  const suffixes: RouteTable['suffixes'] = [];
  const prefixes: RouteTable['prefixes'] = [];
  let catchAll: VirtualHost | undefined;
  virtualHosts.forEach((vh, i) => {
    for (const d of vh.domains) {
      const dup = (): never => {
        throw new ConfigRejection(`${p}.virtual_hosts[${i}].domains`, `domain "${d}" appears in more than one virtual host`);
      };
      if (d === '*') {
        if (catchAll) dup();
        catchAll = vh;
      } else if (d.startsWith('*')) {
        if (suffixes.some((s) => s.suffix === d.slice(1))) dup();
        suffixes.push({ suffix: d.slice(1), vhost: vh });
      } else if (d.endsWith('*')) {
        if (prefixes.some((s) => s.prefix === d.slice(0, -1))) dup();
        prefixes.push({ prefix: d.slice(0, -1), vhost: vh });
      } else {
        if (exact.has(d)) dup();
        exact.set(d, vh);
      }
    }
  });
  suffixes.sort((a, b) => b.suffix.length - a.suffix.length);
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  return { name, virtualHosts, exact, suffixes, prefixes, catchAll };
}
