// Route features → RouteFilters: typed_per_filter_config (envoy.filters.http.fault HTTPFault,
// envoy.filters.http.cors CorsPolicy), request/response header mutations on the route and on
// weighted clusters, request_mirror_policies, redirect and direct_response. Only what the control
// plane emits is accepted; anything else is refused with its field path (→ NACK).
import { arr, bool, compileRegex, ConfigRejection, durationMs, num, obj, only, str, type J } from './check.js';
import type { StringMatcher } from './types.js';
import type { CorsConfig, FaultConfig, HeaderMutation, HeaderOps, LocalAction, MirrorConfig, RouteFilters } from '../http/filters/types.js';

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const CORS_FILTER = 'envoy.filters.http.cors';
const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const CORS_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

/** Route fields this module owns (decode-route.ts allows them and hands them here). */
export const ROUTE_FEATURE_FIELDS = [
  'typed_per_filter_config',
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
  'redirect',
  'direct_response',
] as const;
export const HEADER_FIELDS = ROUTE_FEATURE_FIELDS.slice(1, 5);

const DENOMINATORS: Readonly<Record<string, number>> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };
const REDIRECT_CODES: Readonly<Record<string, number>> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function uint(v: unknown, path: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : num(v, path);
  if (!Number.isInteger(n) || n < 0) throw new ConfigRejection(path, 'expected a non-negative integer');
  return n;
}

/** FractionalPercent → 0..1 (absent numerator: 0; absent denominator: HUNDRED). */
export function decodeFraction(v: unknown, path: string): number {
  const o = obj(v, path);
  only(o, path, ['numerator', 'denominator']);
  const n = o.numerator === undefined ? 0 : uint(o.numerator, `${path}.numerator`);
  const dName = o.denominator === undefined ? 'HUNDRED' : str(o.denominator, `${path}.denominator`);
  const d = DENOMINATORS[dName];
  if (d === undefined) throw new ConfigRejection(`${path}.denominator`, `unknown denominator "${dName}"`);
  return Math.min(1, n / d);
}

function headerName(v: unknown, path: string): string {
  const name = str(v, path).toLowerCase();
  if (!HEADER_NAME.test(name)) throw new ConfigRejection(path, `"${name}" is not a header name this proxy may change`);
  return name;
}

function headerOps(o: J, path: string, dir: 'request' | 'response'): HeaderOps | null {
  const addField = `${dir}_headers_to_add`;
  const removeField = `${dir}_headers_to_remove`;
  const remove = arr(o[removeField], `${path}.${removeField}`).map((h, i) => headerName(h, `${path}.${removeField}[${i}]`));
  const add = arr(o[addField], `${path}.${addField}`).map((h, i) => {
    const hp = `${path}.${addField}[${i}]`;
    const ho = obj(h, hp);
    only(ho, hp, ['header', 'append_action']);
    const hdr = obj(ho.header, `${hp}.header`);
    only(hdr, `${hp}.header`, ['key', 'value']);
    const value = str(hdr.value ?? '', `${hp}.header.value`);
    if (/[\r\n\0]/.test(value)) throw new ConfigRejection(`${hp}.header.value`, 'must not contain CR, LF or NUL');
    const action = ho.append_action === undefined ? 'APPEND_IF_EXISTS_OR_ADD' : str(ho.append_action, `${hp}.append_action`);
    if (action !== 'APPEND_IF_EXISTS_OR_ADD' && action !== 'OVERWRITE_IF_EXISTS_OR_ADD') {
      throw new ConfigRejection(`${hp}.append_action`, `only APPEND_IF_EXISTS_OR_ADD and OVERWRITE_IF_EXISTS_OR_ADD are supported, got "${action}"`);
    }
    return { name: headerName(hdr.key, `${hp}.header.key`), value, overwrite: action === 'OVERWRITE_IF_EXISTS_OR_ADD' };
  });
  return remove.length === 0 && add.length === 0 ? null : { remove, add };
}

/** Header mutations held directly on `o` (a route or a weighted cluster). */
export function decodeHeaderMutation(o: J, path: string): HeaderMutation {
  return { request: headerOps(o, path, 'request'), response: headerOps(o, path, 'response') };
}

export function decodeFault(v: unknown, path: string): FaultConfig {
  const f = obj(v, path);
  only(f, path, ['@type', 'delay', 'abort']);
  if (f['@type'] !== FAULT_TYPE) throw new ConfigRejection(`${path}["@type"]`, `expected ${FAULT_TYPE}`);
  const out: FaultConfig = { delay: null, abort: null };
  if (f.delay !== undefined) {
    const dp = `${path}.delay`;
    const d = obj(f.delay, dp);
    only(d, dp, ['fixed_delay', 'percentage']);
    if (d.fixed_delay === undefined) throw new ConfigRejection(`${dp}.fixed_delay`, 'required');
    const ms = durationMs(d.fixed_delay, `${dp}.fixed_delay`, 0);
    if (ms <= 0) throw new ConfigRejection(`${dp}.fixed_delay`, 'must be greater than 0');
    out.delay = { ms, fraction: d.percentage === undefined ? 1 : decodeFraction(d.percentage, `${dp}.percentage`) };
  }
  if (f.abort !== undefined) {
    const ap = `${path}.abort`;
    const a = obj(f.abort, ap);
    only(a, ap, ['http_status', 'grpc_status', 'percentage']);
    const httpStatus = a.http_status === undefined ? null : uint(a.http_status, `${ap}.http_status`);
    const grpcStatus = a.grpc_status === undefined ? null : uint(a.grpc_status, `${ap}.grpc_status`);
    if ((httpStatus === null) === (grpcStatus === null)) throw new ConfigRejection(ap, 'expected exactly one of http_status or grpc_status');
    if (httpStatus !== null && (httpStatus < 200 || httpStatus > 599)) throw new ConfigRejection(`${ap}.http_status`, 'expected a status from 200 to 599');
    if (grpcStatus !== null && grpcStatus > 16) throw new ConfigRejection(`${ap}.grpc_status`, 'expected a gRPC status code 0..16');
    out.abort = { httpStatus, grpcStatus, fraction: a.percentage === undefined ? 1 : decodeFraction(a.percentage, `${ap}.percentage`) };
  }
  return out;
}

function originMatcher(v: unknown, path: string): StringMatcher {
  const m = obj(v, path);
  only(m, path, ['exact', 'prefix', 'safe_regex']);
  if (m.exact !== undefined) return { kind: 'exact', value: str(m.exact, `${path}.exact`), ignoreCase: false };
  if (m.prefix !== undefined) return { kind: 'prefix', value: str(m.prefix, `${path}.prefix`), ignoreCase: false };
  if (m.safe_regex !== undefined) {
    const sr = obj(m.safe_regex, `${path}.safe_regex`);
    only(sr, `${path}.safe_regex`, ['regex']);
    const value = str(sr.regex, `${path}.safe_regex.regex`);
    return { kind: 'regex', value, regex: compileRegex(value, `${path}.safe_regex.regex`, false), ignoreCase: false };
  }
  throw new ConfigRejection(path, 'expected exact, prefix or safe_regex');
}

export function decodeCors(v: unknown, path: string): CorsConfig {
  const c = obj(v, path);
  only(c, path, ['@type', 'allow_origin_string_match', 'allow_methods', 'allow_headers', 'expose_headers', 'max_age', 'allow_credentials']);
  if (c['@type'] !== CORS_TYPE) throw new ConfigRejection(`${path}["@type"]`, `expected ${CORS_TYPE}`);
  const opt = (k: string): string => (c[k] === undefined ? '' : str(c[k], `${path}.${k}`));
  const maxAge = opt('max_age');
  if (maxAge !== '' && !/^\d+$/.test(maxAge)) throw new ConfigRejection(`${path}.max_age`, 'expected whole seconds');
  return {
    origins: arr(c.allow_origin_string_match, `${path}.allow_origin_string_match`).map((m, i) => originMatcher(m, `${path}.allow_origin_string_match[${i}]`)),
    allowMethods: opt('allow_methods'),
    allowHeaders: opt('allow_headers'),
    exposeHeaders: opt('expose_headers'),
    maxAge,
    allowCredentials: bool(c.allow_credentials, `${path}.allow_credentials`, false),
  };
}

export function decodeMirrors(v: unknown, path: string): MirrorConfig[] {
  return arr(v, path).map((m, i) => {
    const mp = `${path}[${i}]`;
    const mo = obj(m, mp);
    only(mo, mp, ['cluster', 'runtime_fraction']);
    let fraction = 1;
    if (mo.runtime_fraction !== undefined) {
      const rf = obj(mo.runtime_fraction, `${mp}.runtime_fraction`);
      only(rf, `${mp}.runtime_fraction`, ['default_value']);
      fraction = rf.default_value === undefined ? 0 : decodeFraction(rf.default_value, `${mp}.runtime_fraction.default_value`);
    }
    const cluster = str(mo.cluster, `${mp}.cluster`);
    if (cluster === '') throw new ConfigRejection(`${mp}.cluster`, 'must not be empty');
    return { cluster, fraction };
  });
}

function decodeLocal(r: J, path: string): LocalAction | null {
  if (r.redirect !== undefined) {
    const p = `${path}.redirect`;
    const o = obj(r.redirect, p);
    only(o, p, ['scheme_redirect', 'host_redirect', 'port_redirect', 'path_redirect', 'response_code']);
    const code = o.response_code === undefined ? 'MOVED_PERMANENTLY' : str(o.response_code, `${p}.response_code`);
    const status = REDIRECT_CODES[code];
    if (status === undefined) throw new ConfigRejection(`${p}.response_code`, `unknown response code "${code}"`);
    const opt = (k: string): string | undefined => (o[k] === undefined ? undefined : str(o[k], `${p}.${k}`));
    const path2 = opt('path_redirect');
    if (path2 !== undefined && !path2.startsWith('/')) throw new ConfigRejection(`${p}.path_redirect`, 'expected a path starting with "/"');
    const port = o.port_redirect === undefined ? undefined : uint(o.port_redirect, `${p}.port_redirect`);
    if (port !== undefined && (port < 1 || port > 65535)) throw new ConfigRejection(`${p}.port_redirect`, 'expected a port 1..65535');
    return { kind: 'redirect', status, scheme: opt('scheme_redirect'), host: opt('host_redirect'), port, path: path2 };
  }
  if (r.direct_response !== undefined) {
    const p = `${path}.direct_response`;
    const o = obj(r.direct_response, p);
    only(o, p, ['status', 'body']);
    const status = uint(o.status, `${p}.status`);
    if (status < 200 || status > 599) throw new ConfigRejection(`${p}.status`, 'expected a status from 200 to 599');
    let body = '';
    if (o.body !== undefined) {
      const b = obj(o.body, `${p}.body`);
      only(b, `${p}.body`, ['inline_string']);
      body = str(b.inline_string, `${p}.body.inline_string`);
    }
    return { kind: 'direct', status, body };
  }
  return null;
}

/**
 * The route's filters, or undefined when it has none (the common case costs nothing per request).
 * `action` is the route's RouteAction (absent for redirect/direct_response routes).
 */
export function decodeRouteFilters(r: J, path: string, action: J | undefined): RouteFilters | undefined {
  const targets = ['route', 'redirect', 'direct_response'].filter((k) => r[k] !== undefined);
  if (targets.length !== 1) throw new ConfigRejection(path, `expected exactly one of route, redirect or direct_response, got ${targets.length === 0 ? 'none' : targets.join(' and ')}`);
  let fault: FaultConfig | null = null;
  let cors: CorsConfig | null = null;
  if (r.typed_per_filter_config !== undefined) {
    const tp = `${path}.typed_per_filter_config`;
    const t = obj(r.typed_per_filter_config, tp);
    for (const [k, v] of Object.entries(t)) {
      if (k === FAULT_FILTER) fault = decodeFault(v, `${tp}["${k}"]`);
      else if (k === CORS_FILTER) cors = decodeCors(v, `${tp}["${k}"]`);
      else throw new ConfigRejection(`${tp}["${k}"]`, 'filter not supported by this proxy');
    }
  }
  const local = decodeLocal(r, path);
  const headers = decodeHeaderMutation(r, path);
  const mirrors = action ? decodeMirrors(action.request_mirror_policies, `${path}.route.request_mirror_policies`) : [];
  const perCluster = new Map<string, HeaderMutation>();
  const wc = action?.weighted_clusters as J | undefined;
  if (wc && Array.isArray(wc.clusters)) {
    wc.clusters.forEach((c, i) => {
      const co = c as J;
      const m = decodeHeaderMutation(co, `${path}.route.weighted_clusters.clusters[${i}]`);
      if (m.request || m.response) perCluster.set(String(co.name), m);
    });
  }
  if (!fault && !cors && !local && mirrors.length === 0 && !headers.request && !headers.response && perCluster.size === 0) return undefined;
  return { fault, cors, local, mirrors, headers, perCluster };
}
