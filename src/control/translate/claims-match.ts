// VirtualService `headers: {"@request.auth.claims.<name>": ...}` → a route `dynamic_metadata`
// matcher on the validated JWT's claims, as Istio emits it (filter istio_authn, path
// request.auth.claims/<name...>, list match "one of"). The proxy reads it from the request's
// RequestAuth (proxy/security/jwt/); a request without a valid JWT never matches.
import type { StringMatch } from '../../api/types.js';
import { claimPathOf } from '../../api/request-authentication-types.js';
import type { Json } from './clusters.js';

export const AUTHN_METADATA_FILTER = 'istio_authn';
export const CLAIMS_METADATA_KEY = 'request.auth.claims';

function stringMatcher(m: StringMatch): Json {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  return { safe_regex: { regex: m.regex ?? '' } };
}

/** Whether a VirtualService header name is a claim match (then it is no header matcher). */
export function isClaimHeader(name: string): boolean {
  return claimPathOf(name) !== undefined;
}

export function claimMatchers(headers: Record<string, StringMatch> | undefined, invert: boolean): Json[] {
  if (!headers) return [];
  const out: Json[] = [];
  for (const [name, m] of Object.entries(headers)) {
    const path = claimPathOf(name);
    if (!path) continue;
    const matcher: Json = {
      filter: AUTHN_METADATA_FILTER,
      path: [{ key: CLAIMS_METADATA_KEY }, ...path.map((key) => ({ key }))],
      value: { list_match: { one_of: { string_match: stringMatcher(m) } } },
    };
    if (invert) matcher.invert = true;
    out.push(matcher);
  }
  return out;
}
