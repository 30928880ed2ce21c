// The route-level entry point for the route features: which HTTPRoute fields they own and one
// reader that fills them (validate-virtual-service.ts spreads the result into the route).
import type { Destination, HTTPRoute, StringMatch } from './types.js';
import type { Field } from './validate-common.js';
import { readCorsPolicy, readDirectResponse, readFault, readHeaders, readMirrors, readRedirect } from './validate-route-features.js';

export const ROUTE_FEATURE_FIELDS: readonly string[] = [
  'fault', 'mirror', 'mirrors', 'mirrorPercentage', 'mirrorPercent', 'headers', 'redirect', 'directResponse', 'corsPolicy',
];

type Features = Pick<HTTPRoute, 'fault' | 'mirrors' | 'headers' | 'redirect' | 'directResponse' | 'corsPolicy'>;

export function readRouteFeatures(f: Field, readDestination: (f: Field) => Destination, readStringMatch: (f: Field) => StringMatch): Features {
  const out: Features = {};
  const fault = f.get('fault').ifPresent(readFault);
  if (fault) out.fault = fault;
  const mirrors = readMirrors(f, readDestination);
  if (mirrors) out.mirrors = mirrors;
  const headers = f.get('headers').ifPresent(readHeaders);
  if (headers) out.headers = headers;
  const redirect = f.get('redirect').ifPresent(readRedirect);
  if (redirect) out.redirect = redirect;
  const direct = f.get('directResponse').ifPresent(readDirectResponse);
  if (direct) out.directResponse = direct;
  const cors = f.get('corsPolicy').ifPresent((c) => readCorsPolicy(c, readStringMatch));
  if (cors) out.corsPolicy = cors;
  return out;
}
