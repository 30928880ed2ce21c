// VirtualService spec: HTTP routes, TCP routes and TLS passthrough routes (by SNI).

import { claimPathOf } from './request-authentication-types.js';
import { exportTarget, gatewayRef, hostname, hostPattern } from './names.js';
import { re2Regex } from './re2.js';
import { readHeaders } from './validate-route-features.js';
import { RETRY_ON_POLICIES } from './retry-on.js';
import type {
  Destination,
  HTTPMatchRequest,
  HTTPRewrite,
  HTTPRetry,
  HTTPRoute,
  HTTPRouteDestination,
  RouteDestination,
  StringMatch,
  TCPRoute,
  TLSRoute,
  VirtualServiceSpec,
} from './types.js';
import { readRouteFeatures, ROUTE_FEATURE_FIELDS } from './validate-route-features-route.js';
import { compact, isPlainMap, readLabels, setOwn, type Field, type FieldSet } from './validate-common.js';

const SPEC: FieldSet = { supported: ['hosts', 'gateways', 'http', 'tcp', 'tls', 'exportTo'] };
const TCP_ROUTE: FieldSet = { supported: ['match', 'route'] };
const L4_MATCH: FieldSet = { supported: ['port'], notYet: ['destinationSubnets', 'sourceLabels', 'sourceNamespace', 'gateways'] };
const TLS_ROUTE: FieldSet = { supported: ['match', 'route'] };
const TLS_MATCH: FieldSet = { supported: ['sniHosts', 'port'], notYet: ['destinationSubnets', 'sourceLabels', 'sourceNamespace', 'gateways'] };
const L4_ROUTE_DESTINATION: FieldSet = { supported: ['destination', 'weight'] };
const HTTP_ROUTE: FieldSet = {
  supported: ['name', 'match', 'route', 'rewrite', 'timeout', 'retries', ...ROUTE_FEATURE_FIELDS],
  notYet: ['delegate'],
};
const MATCH: FieldSet = {
  supported: [
    'name',
    'uri',
    'method',
    'authority',
    'headers',
    'withoutHeaders',
    'queryParams',
    'port',
    'ignoreUriCase',
    'sourceLabels',
    'gateways',
  ],
  notYet: ['scheme', 'sourceNamespace', 'statPrefix'],
};
const STRING_MATCH: FieldSet = { supported: ['exact', 'prefix', 'regex'] };
const ROUTE_DESTINATION: FieldSet = { supported: ['destination', 'weight', 'headers'] };
const DESTINATION: FieldSet = { supported: ['host', 'subset', 'port'] };
const PORT_SELECTOR: FieldSet = { supported: ['number'] };
const REWRITE: FieldSet = { supported: ['uri', 'authority'], notYet: ['uriRegexRewrite'] };

const HEADER_NAME = /^:?[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export function validateVirtualServiceSpec(f: Field): VirtualServiceSpec {
  f.object(SPEC, { required: true });
  const gateways = f.get('gateways').stringList({ check: gatewayRef });
  const hosts = f.get('hosts').stringList({ required: true, nonEmpty: true, check: hostPattern, what: 'a non-empty list of hosts' });
  const boundToMesh = gateways.length === 0 || gateways.includes('mesh');
  hosts.forEach((h, i) => {
    if (h === '*' && boundToMesh) {
      f.get('hosts').at(i).error('expected a specific host: "*" is only allowed when the VirtualService is bound to gateways (not the mesh)');
    }
  });
  const other = f.get('tcp').present || f.get('tls').present;
  const http = f.get('http').list(readHttpRoute, {
    required: !other,
    what: 'a list of http routes (Weft supports http, tcp and tls routes)',
  });
  const tcp = f.get('tcp').present ? f.get('tcp').list(readTcpRoute, { what: 'a list of tcp routes' }) : undefined;
  const tls = f.get('tls').present ? f.get('tls').list(readTlsRoute, { what: 'a list of tls routes' }) : undefined;
  return {
    hosts,
    gateways,
    http,
    ...(tcp ? { tcp } : {}),
    ...(tls ? { tls } : {}),
    exportTo: f.get('exportTo').stringList({ check: exportTarget }),
  };
}

function readHttpRoute(f: Field): HTTPRoute {
  f.object(HTTP_ROUTE, { required: true });
  const elsewhere = ['delegate'].find((k) => f.get(k).present);
  const local = ['redirect', 'directResponse'].filter((k) => f.get(k).present);
  if (local.length > 1) f.get('directResponse').error('redirect and directResponse cannot be used together');
  if (local.length > 0 && f.get('route').present) f.get('route').error(`route cannot be used with ${local[0]}`);
  const route = f.get('route').list(readRouteDestination, {
    required: local.length === 0,
    nonEmpty: true,
    what: `a non-empty list of destinations${elsewhere === undefined ? '' : ` (${elsewhere} is not supported yet)`}`,
  });
  checkWeights(f.get('route'));
  return compact({
    name: f.get('name').string(),
    match: f.get('match').list(readMatch),
    route,
    rewrite: f.get('rewrite').ifPresent(readRewrite),
    timeoutMs: f.get('timeout').duration(),
    retries: f.get('retries').ifPresent(readRetries),
    ...readRouteFeatures(f, readDestination, readStringMatch),
  });
}

const RETRIES: FieldSet = { supported: ['attempts', 'perTryTimeout', 'retryOn', 'retryRemoteLocalities'] };

/** `retries`: attempts (0 disables), perTryTimeout (>= 1ms), retryOn as Istio's comma list. */
function readRetries(f: Field): HTTPRetry {
  f.object(RETRIES, { required: true });
  const perTry = f.get('perTryTimeout');
  const perTryTimeoutMs = perTry.duration();
  if (perTryTimeoutMs !== undefined && perTryTimeoutMs < 1) perTry.error('expected a duration of at least 1ms');
  const on = f.get('retryOn');
  let retryOn: string[] | undefined;
  const raw = on.string({ what: 'a comma-separated list of retry conditions, like "5xx,reset,503"' });
  if (raw !== undefined) {
    retryOn = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
    for (const item of retryOn) {
      if (/^\d+$/.test(item)) {
        const code = Number(item);
        if (code < 100 || code > 599) on.error(`expected an HTTP status code between 100 and 599, got "${item}"`);
      } else if (!RETRY_ON_POLICIES.includes(item)) {
        on.error(`unknown retry condition "${item}" (expected status codes or: ${RETRY_ON_POLICIES.join(', ')})`);
      }
    }
  }
  return compact({
    attempts: f.get('attempts').int({ min: 0, max: 1000 }) ?? 0,
    perTryTimeoutMs,
    retryOn,
    retryRemoteLocalities: f.get('retryRemoteLocalities').bool(),
  });
}

function readMatch(f: Field): HTTPMatchRequest {
  f.object(MATCH, { required: true });
  return compact({
    name: f.get('name').string(),
    uri: f.get('uri').ifPresent(readStringMatch),
    method: f.get('method').ifPresent(readStringMatch),
    authority: f.get('authority').ifPresent(readStringMatch),
    headers: f.get('headers').ifPresent(readHeaderMatches),
    withoutHeaders: f.get('withoutHeaders').ifPresent(readHeaderMatches),
    queryParams: f.get('queryParams').ifPresent((q) => q.map(readStringMatch)),
    port: f.get('port').int({ min: 1, max: 65535 }),
    ignoreUriCase: f.get('ignoreUriCase').bool(),
    sourceLabels: f.get('sourceLabels').ifPresent((l) => readLabels(l)),
    gateways: f.get('gateways').ifPresent((g) => g.stringList({ check: gatewayRef })),
  });
}

/** Header names are case-insensitive; they are stored lower-cased. */
function readHeaderMatches(f: Field): Record<string, StringMatch> {
  const byName = f.map(readStringMatch, {
    keyCheck: (k) => (HEADER_NAME.test(k) || claimPathOf(k) ? undefined : 'expected an HTTP header name'),
  });
  const out: Record<string, StringMatch> = {};
  // Claim names are case-sensitive; header names are not.
  for (const [k, v] of Object.entries(byName)) setOwn(out, claimPathOf(k) ? k : k.toLowerCase(), v);
  return out;
}

/** Exactly one of exact, prefix, regex. */
export function readStringMatch(f: Field): StringMatch {
  if (f.object(STRING_MATCH, { required: true, what: 'a string match (one of exact, prefix or regex)' })) {
    const given = STRING_MATCH.supported.filter((k) => f.get(k).present);
    if (given.length !== 1) f.error(`expected exactly one of exact, prefix or regex, got ${given.length === 0 ? 'none' : given.join(' and ')}`);
  }
  return compact({
    exact: f.get('exact').string(),
    prefix: f.get('prefix').string(),
    regex: f.get('regex').string({ check: re2Regex }),
  });
}

function readRouteDestination(f: Field): HTTPRouteDestination {
  f.object(ROUTE_DESTINATION, { required: true });
  return compact({
    destination: readDestination(f.get('destination')),
    weight: f.get('weight').int({ min: 0, max: 100 }),
    headers: f.get('headers').ifPresent(readHeaders),
  });
}

function readDestination(f: Field): Destination {
  f.object(DESTINATION, { required: true });
  return compact({
    host: f.get('host').string({ required: true, check: hostname }),
    subset: f.get('subset').string(),
    port: f.get('port').ifPresent((p) => {
      p.object(PORT_SELECTOR);
      return { number: p.get('number').int({ required: true, min: 1, max: 65535 }) };
    }),
  });
}

function readRewrite(f: Field): HTTPRewrite {
  f.object(REWRITE);
  return compact({
    uri: f.get('uri').string(),
    authority: f.get('authority').string(),
  });
}

/**
 * With more than one destination, weights (absent = 0) must sum to 100, as Istio requires. Only
 * checked when every weight is a valid integer (otherwise that error is the one to fix first).
 */
function checkWeights(route: Field): void {
  const items = Array.isArray(route.value) ? route.value : [];
  if (items.length < 2) return;
  const weights: number[] = [];
  for (const item of items) {
    const w: unknown = isPlainMap(item) ? item.weight : undefined;
    if (w === undefined || w === null) weights.push(0);
    else if (typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 100) weights.push(w);
    else return;
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum !== 100) {
    route.error(`expected destination weights to sum to 100, got ${sum} (${weights.join(' + ')}; a missing weight counts as 0)`);
  }
}

function readTcpRoute(f: Field): TCPRoute {
  f.object(TCP_ROUTE, { required: true });
  const route = f.get('route').list(readL4RouteDestination, { required: true, nonEmpty: true, what: 'a non-empty list of destinations' });
  checkWeights(f.get('route'));
  return {
    match: f.get('match').list((m) => {
      m.object(L4_MATCH, { required: true });
      return compact({ port: m.get('port').int({ min: 1, max: 65535 }) });
    }),
    route,
  };
}

function readTlsRoute(f: Field): TLSRoute {
  f.object(TLS_ROUTE, { required: true });
  const match = f.get('match').list(
    (m) => {
      m.object(TLS_MATCH, { required: true });
      return compact({
        sniHosts: m.get('sniHosts').stringList({ required: true, nonEmpty: true, check: hostPattern, what: 'a non-empty list of SNI hosts' }),
        port: m.get('port').int({ min: 1, max: 65535 }),
      });
    },
    { required: true, nonEmpty: true, what: 'a non-empty list of matches with sniHosts' },
  );
  const route = f.get('route').list(readL4RouteDestination, { required: true, nonEmpty: true, what: 'a non-empty list of destinations' });
  checkWeights(f.get('route'));
  return { match, route };
}

function readL4RouteDestination(f: Field): RouteDestination {
  f.object(L4_ROUTE_DESTINATION, { required: true });
  return compact({
    destination: readDestination(f.get('destination')),
    weight: f.get('weight').int({ min: 0, max: 100 }),
  });
}
