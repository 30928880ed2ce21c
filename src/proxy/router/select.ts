// Request → virtual host → route → cluster, against a precompiled RouteTable. First match wins.
import type { HeaderMatcher, Route, RouteAction, RouteTable, StringMatcher, VirtualHost } from '../config/types.js';
import type { RequestAuth } from '../security/identity.js';
import { claimMatches } from '../security/jwt/claims-match.js';

export interface RequestView {
  method: string;
  /** Host/authority as received (lower-cased by the caller). */
  authority: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string without '?', or '' */
  query: string;
  /** Flat [name, value, ...] with lower-case names. */
  headers: readonly string[];
  /** The validated JWT (RequestAuthentication), for claim matches; absent/null: none. */
  auth?: RequestAuth | null | undefined;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const i = host.lastIndexOf(':');
  return i >= 0 ? host.slice(0, i) : host;
}

export function selectVirtualHost(table: RouteTable, authority: string, stripAnyPort: boolean): VirtualHost | undefined {
  const host = stripAnyPort ? stripPort(authority) : authority;
  const exact = table.exact.get(host);
  if (exact) return exact;
  for (const s of table.suffixes) if (host.endsWith(s.suffix) && host.length > s.suffix.length) return s.vhost;
  for (const p of table.prefixes) if (host.startsWith(p.prefix) && host.length > p.prefix.length) return p.vhost;
  return table.catchAll;
}

export function stringMatches(m: StringMatcher, value: string): boolean {
  const v = m.ignoreCase && m.kind !== 'regex' ? value.toLowerCase() : value;
  const target = m.ignoreCase && m.kind !== 'regex' ? m.value.toLowerCase() : m.value;
  switch (m.kind) {
    case 'exact':
      return v === target;
    case 'prefix':
      return v.startsWith(target);
    case 'regex':
      return m.regex !== undefined && m.regex.test(value);
  }
}

function headerValue(req: RequestView, name: string): string | undefined {
  if (name === ':method') return req.method;
  if (name === ':authority') return req.authority;
  if (name === ':path') return req.query ? `${req.path}?${req.query}` : req.path;
  const h = req.headers;
  let found: string | undefined;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) found = found === undefined ? h[i + 1] : `${found},${h[i + 1]}`;
  }
  return found;
}

function headerMatches(hm: HeaderMatcher, req: RequestView): boolean {
  const v = headerValue(req, hm.name);
  const ok = v !== undefined && (hm.matcher === null || stringMatches(hm.matcher, v));
  return hm.invert ? !ok : ok;
}

function queryValue(query: string, name: string): string | undefined {
  if (!query) return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const k = eq >= 0 ? part.slice(0, eq) : part;
    if (k === name) {
      const raw = eq >= 0 ? part.slice(eq + 1) : '';
      try {
        return decodeURIComponent(raw.replace(/\+/g, ' '));
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

export function routeMatches(route: Route, req: RequestView): boolean {
  const pm = route.match.path;
  const path = pm.caseSensitive ? req.path : req.path.toLowerCase();
  switch (pm.kind) {
    case 'prefix':
      if (!path.startsWith(pm.value)) return false;
      break;
    case 'exact':
      if (path !== pm.value) return false;
      break;
    case 'regex':
      if (!pm.regex || !pm.regex.test(req.path)) return false;
      break;
  }
  for (const hm of route.match.headers) if (!headerMatches(hm, req)) return false;
  if (route.match.claims) for (const cm of route.match.claims) if (!claimMatches(cm, req.auth, stringMatches)) return false;
  for (const q of route.match.query) {
    const v = queryValue(req.query, q.name);
    if (v === undefined) return false;
    if (q.matcher && !stringMatches(q.matcher, v)) return false;
  }
  return true;
}

export function selectRoute(vh: VirtualHost, req: RequestView): Route | undefined {
  for (const r of vh.routes) if (routeMatches(r, req)) return r;
  return undefined;
}

/** Weighted pick; `rand` in [0, 1). */
export function pickCluster(action: RouteAction, rand: number): string {
  const c = action.clusters;
  if (c.length === 1) return c[0]!.name;
  let x = rand * action.totalWeight;
  for (const wc of c) {
    if (x < wc.weight) return wc.name;
    x -= wc.weight;
  }
  return c[c.length - 1]!.name;
}

/** Envoy's prefix_rewrite: the matched prefix (or whole exact path) is replaced. */
export function rewritePath(route: Route, path: string): string {
  const rw = route.action.prefixRewrite;
  if (rw === undefined) return path;
  const pm = route.match.path;
  if (pm.kind === 'prefix') {
    const rest = path.slice(pm.value.length);
    if (rw.endsWith('/') && rest.startsWith('/')) return rw + rest.slice(1);
    return rw + rest;
  }
  return rw;
}
