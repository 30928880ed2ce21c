// VirtualService HTTP route features, read with field paths: fault, mirror/mirrors/
// mirrorPercentage/mirrorPercent, headers (route and destination), redirect, directResponse and
// corsPolicy. Shapes in route-features-types.ts; Istio's own rules are kept (e.g. abort needs
// exactly one status, redirect and directResponse exclude route).
import type { CorsPolicy, Headers, HeaderOperations, HTTPDirectResponse, HTTPFaultInjection, HTTPMirrorPolicy, HTTPRedirect, Percent } from './route-features-types.js';
import type { Destination, StringMatch } from './types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';

const FAULT: FieldSet = { supported: ['delay', 'abort'] };
const DELAY: FieldSet = { supported: ['fixedDelay', 'percentage', 'percent'], notYet: ['exponentialDelay'] };
const ABORT: FieldSet = { supported: ['httpStatus', 'grpcStatus', 'percentage'], notYet: ['http2Error'] };
const PERCENT: FieldSet = { supported: ['value'] };
const MIRROR: FieldSet = { supported: ['destination', 'percentage'] };
const HEADERS: FieldSet = { supported: ['request', 'response'] };
const HEADER_OPS: FieldSet = { supported: ['set', 'add', 'remove'] };
const REDIRECT: FieldSet = { supported: ['uri', 'authority', 'port', 'scheme', 'redirectCode'], notYet: ['derivePort'] };
const DIRECT: FieldSet = { supported: ['status', 'body'] };
const DIRECT_BODY: FieldSet = { supported: ['string'], notYet: ['bytes'] };
const CORS: FieldSet = {
  supported: ['allowOrigins', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge', 'allowCredentials'],
  notYet: ['allowOrigin', 'unmatchedPreflights'],
};

/** The gRPC status names Istio accepts in `abort.grpcStatus`. */
export const GRPC_STATUS_CODES: readonly string[] = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
  'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const headerName = (k: string): string | undefined => (HEADER_NAME.test(k) ? undefined : 'expected an HTTP header name');

/** `{value: 0..100}` (a double). */
export function readPercent(f: Field): Percent {
  f.object(PERCENT, { required: true, what: 'a percentage like {value: 50}' });
  const v = f.get('value');
  if (!v.present) return 0;
  if (typeof v.value !== 'number' || !(v.value >= 0 && v.value <= 100)) {
    v.mismatch('a number from 0 to 100');
    return 0;
  }
  return v.value;
}

/** The older integer percent fields (`delay.percent`, `mirrorPercent`). */
function readIntPercent(f: Field): Percent | undefined {
  return f.int({ min: 0, max: 100 });
}

export function readFault(f: Field): HTTPFaultInjection {
  f.object(FAULT, { required: true });
  if (f.present && !f.get('delay').present && !f.get('abort').present) f.error('expected delay or abort');
  return compact({
    delay: f.get('delay').ifPresent((d) => {
      d.object(DELAY, { required: true });
      const ms = d.get('fixedDelay').duration({ required: true }) ?? 0;
      if (d.get('fixedDelay').present && ms < 1) d.get('fixedDelay').error('expected a duration of at least 1ms');
      if (d.get('percentage').present && d.get('percent').present) d.get('percent').error('use percentage or the deprecated percent, not both');
      const pct = d.get('percentage').ifPresent(readPercent) ?? readIntPercent(d.get('percent'));
      return { fixedDelayMs: ms, percentage: pct ?? 0 };
    }),
    abort: f.get('abort').ifPresent((a) => {
      a.object(ABORT, { required: true });
      const httpStatus = a.get('httpStatus').int({ min: 200, max: 599 });
      const grpcStatus = a.get('grpcStatus').oneOf(GRPC_STATUS_CODES);
      if (a.present && (httpStatus === undefined) === (grpcStatus === undefined) && !a.get('http2Error').present) {
        a.error('expected exactly one of httpStatus or grpcStatus');
      }
      return compact({ httpStatus, grpcStatus, percentage: a.get('percentage').ifPresent(readPercent) ?? 0 });
    }),
  });
}

/** mirror + mirrorPercentage (or mirrorPercent), then the `mirrors` list. */
export function readMirrors(route: Field, readDestination: (f: Field) => Destination): HTTPMirrorPolicy[] | undefined {
  const out: HTTPMirrorPolicy[] = [];
  const single = route.get('mirror');
  if (route.get('mirrorPercentage').present && route.get('mirrorPercent').present) {
    route.get('mirrorPercent').error('use mirrorPercentage or the deprecated mirrorPercent, not both');
  }
  const pct = route.get('mirrorPercentage').ifPresent(readPercent) ?? readIntPercent(route.get('mirrorPercent'));
  if (single.present) out.push(compact({ destination: readDestination(single), percentage: pct }));
  else if (pct !== undefined) route.get(route.get('mirrorPercentage').present ? 'mirrorPercentage' : 'mirrorPercent').warn('ignored: no mirror is set');
  out.push(
    ...route.get('mirrors').list((m) => {
      m.object(MIRROR, { required: true });
      return compact({ destination: readDestination(m.get('destination')), percentage: m.get('percentage').ifPresent(readPercent) });
    }),
  );
  return out.length > 0 ? out : undefined;
}

function readHeaderOps(f: Field): HeaderOperations {
  f.object(HEADER_OPS, { required: true });
  const lower = (m: Record<string, string>): Record<string, string> | undefined => {
    const keys = Object.keys(m);
    if (keys.length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const k of keys) out[k.toLowerCase()] = m[k]!;
    return out;
  };
  const remove = f.get('remove').stringList({ check: headerName }).map((h) => h.toLowerCase());
  return compact({
    set: lower(f.get('set').stringMap({ keyCheck: headerName })),
    add: lower(f.get('add').stringMap({ keyCheck: headerName })),
    remove: remove.length > 0 ? remove : undefined,
  });
}

export function readHeaders(f: Field): Headers {
  f.object(HEADERS, { required: true });
  return compact({ request: f.get('request').ifPresent(readHeaderOps), response: f.get('response').ifPresent(readHeaderOps) });
}

export function readRedirect(f: Field): HTTPRedirect {
  f.object(REDIRECT, { required: true });
  const scheme = f.get('scheme').string();
  if (scheme !== undefined && !/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(scheme)) f.get('scheme').error(`expected a URI scheme like "https", got "${scheme}"`);
  const uri = f.get('uri').string();
  if (uri !== undefined && !uri.startsWith('/')) f.get('uri').error('expected a path starting with "/"');
  const code = f.get('redirectCode');
  const redirectCode = code.int({ min: 300, max: 308 }) ?? 301;
  if (code.present && ![301, 302, 303, 307, 308].includes(redirectCode)) code.error('expected one of 301, 302, 303, 307, 308');
  return compact({ uri, authority: f.get('authority').string(), port: f.get('port').int({ min: 1, max: 65535 }), scheme, redirectCode });
}

export function readDirectResponse(f: Field): HTTPDirectResponse {
  f.object(DIRECT, { required: true });
  return compact({
    status: f.get('status').int({ required: true, min: 200, max: 599 }) ?? 200,
    body: f.get('body').ifPresent((b) => {
      b.object(DIRECT_BODY, { required: true });
      return b.get('string').string({ required: true });
    }),
  });
}

export function readCorsPolicy(f: Field, readStringMatch: (f: Field) => StringMatch): CorsPolicy {
  f.object(CORS, { required: true });
  const maxAge = f.get('maxAge');
  const maxAgeMs = maxAge.duration();
  if (maxAgeMs !== undefined && maxAgeMs % 1000 !== 0) maxAge.error('expected whole seconds, like "24h" or "600s"');
  return compact({
    allowOrigins: f.get('allowOrigins').list(readStringMatch),
    allowMethods: f.get('allowMethods').stringList({ check: (m) => (/^[A-Za-z]+$/.test(m) ? undefined : 'expected an HTTP method') }),
    allowHeaders: f.get('allowHeaders').stringList({ check: headerName }),
    exposeHeaders: f.get('exposeHeaders').stringList({ check: headerName }),
    maxAgeMs,
    allowCredentials: f.get('allowCredentials').bool(),
  });
}
