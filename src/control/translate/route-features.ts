// VirtualService route features → Envoy route fields, as Istio converts them:
//   fault      → typed_per_filter_config["envoy.filters.http.fault"] (HTTPFault)
//   corsPolicy → typed_per_filter_config["envoy.filters.http.cors"] (CorsPolicy)
//   mirror(s)  → route.request_mirror_policies (runtime_fraction in millionths)
//   headers    → request/response_headers_to_add/_remove on the route, and per weighted cluster
//                (a single destination's headers are merged into the route's, as Istio does)
//   redirect / directResponse → route.redirect / route.direct_response instead of route.route
// Istio also installs the fault and CORS filters in the HCM; Weft's proxy runs both from the
// route's per-filter config alone, so the listener is unchanged (see ARCHITECTURE.md).
import type { CorsPolicy, Destination, HTTPFaultInjection, HTTPRedirect, HTTPRoute, StringMatch } from '../../api/types.js';
import type { HeaderOperations } from '../../api/route-features-types.js';
import { GRPC_STATUS_CODES } from '../../api/validate-route-features.js';
import type { Json } from './clusters.js';

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const CORS_FILTER = 'envoy.filters.http.cors';
export const FAULT_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
export const CORS_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

const REDIRECT_CODES: Readonly<Record<number, string>> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

/** A percentage 0..100 as Envoy's FractionalPercent in millionths (Istio's conversion). */
export function fractionJson(percent: number): Json {
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

function msDuration(ms: number): string {
  const fixed = (ms / 1000).toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
  return `${fixed === '' ? '0' : fixed}s`;
}

export function faultJson(f: HTTPFaultInjection): Json {
  const out: Json = { '@type': FAULT_TYPE_URL };
  if (f.delay) out.delay = { fixed_delay: msDuration(f.delay.fixedDelayMs), percentage: fractionJson(f.delay.percentage) };
  if (f.abort) {
    const abort: Json = {};
    if (f.abort.grpcStatus !== undefined) abort.grpc_status = GRPC_STATUS_CODES.indexOf(f.abort.grpcStatus);
    else abort.http_status = f.abort.httpStatus ?? 503;
    abort.percentage = fractionJson(f.abort.percentage);
    out.abort = abort;
  }
  return out;
}

function stringMatcher(m: StringMatch): Json {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  return { safe_regex: { regex: m.regex ?? '' } };
}

export function corsJson(c: CorsPolicy): Json {
  const out: Json = { '@type': CORS_TYPE_URL, allow_origin_string_match: c.allowOrigins.map(stringMatcher) };
  if (c.allowMethods.length > 0) out.allow_methods = c.allowMethods.join(',');
  if (c.allowHeaders.length > 0) out.allow_headers = c.allowHeaders.join(',');
  if (c.exposeHeaders.length > 0) out.expose_headers = c.exposeHeaders.join(',');
  if (c.maxAgeMs !== undefined) out.max_age = String(Math.floor(c.maxAgeMs / 1000));
  if (c.allowCredentials !== undefined) out.allow_credentials = c.allowCredentials;
  return out;
}

export function redirectJson(r: HTTPRedirect): Json {
  const out: Json = {};
  if (r.scheme !== undefined) out.scheme_redirect = r.scheme;
  if (r.authority !== undefined) out.host_redirect = r.authority;
  if (r.port !== undefined) out.port_redirect = r.port;
  if (r.uri !== undefined) out.path_redirect = r.uri;
  out.response_code = REDIRECT_CODES[r.redirectCode] ?? 'MOVED_PERMANENTLY';
  return out;
}

/** Header operations as Envoy fields with the given prefix ("request" or "response"); keys sorted. */
function headerOpsJson(ops: HeaderOperations | undefined, dir: 'request' | 'response', into: Json): void {
  if (!ops) return;
  const adds: Json[] = [];
  const put = (m: Record<string, string> | undefined, action: string): void => {
    for (const k of Object.keys(m ?? {}).sort()) adds.push({ header: { key: k, value: m![k]! }, append_action: action });
  };
  put(ops.set, 'OVERWRITE_IF_EXISTS_OR_ADD');
  put(ops.add, 'APPEND_IF_EXISTS_OR_ADD');
  if (adds.length > 0) into[`${dir}_headers_to_add`] = [...((into[`${dir}_headers_to_add`] as Json[] | undefined) ?? []), ...adds];
  if (ops.remove && ops.remove.length > 0) {
    into[`${dir}_headers_to_remove`] = [...((into[`${dir}_headers_to_remove`] as string[] | undefined) ?? []), ...ops.remove];
  }
}

/**
 * Adds the route features of `r` to an Envoy route built by routes.ts (mutated in place).
 * `clusterFor` names the outbound cluster of a destination, as for route destinations.
 */
export function applyRouteFeatures(route: Json, r: HTTPRoute, clusterFor: (d: Destination) => string): void {
  const action = route.route as Json | undefined;
  if (r.redirect || r.directResponse) {
    delete route.route;
    if (r.redirect) route.redirect = redirectJson(r.redirect);
    else if (r.directResponse) {
      const d: Json = { status: r.directResponse.status };
      if (r.directResponse.body !== undefined) d.body = { inline_string: r.directResponse.body };
      route.direct_response = d;
    }
  } else if (action) {
    if (r.mirrors && r.mirrors.length > 0) {
      action.request_mirror_policies = r.mirrors.map((m) => ({
        cluster: clusterFor(m.destination),
        runtime_fraction: { default_value: fractionJson(m.percentage ?? 100) },
      }));
    }
    const weighted = (action.weighted_clusters as Json | undefined)?.clusters as Json[] | undefined;
    if (weighted) {
      r.route.forEach((d, i) => {
        const wc = weighted[i];
        if (wc && d.headers) {
          headerOpsJson(d.headers.request, 'request', wc);
          headerOpsJson(d.headers.response, 'response', wc);
        }
      });
    }
  }
  headerOpsJson(r.headers?.request, 'request', route);
  headerOpsJson(r.headers?.response, 'response', route);
  const single = r.route.length === 1 ? r.route[0]?.headers : undefined;
  if (single && route.route) {
    headerOpsJson(single.request, 'request', route);
    headerOpsJson(single.response, 'response', route);
  }
  const filters: Json = {};
  if (r.fault) filters[FAULT_FILTER] = faultJson(r.fault);
  if (r.corsPolicy) filters[CORS_FILTER] = corsJson(r.corsPolicy);
  if (Object.keys(filters).length > 0) route.typed_per_filter_config = filters;
}
