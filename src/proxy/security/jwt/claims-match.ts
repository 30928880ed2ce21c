// Route matching on validated JWT claims: the dynamic_metadata matchers Istio emits for a
// VirtualService header match "@request.auth.claims.<name>" (filter istio_authn, path
// request.auth.claims/<name...>, value list_match one_of string_match). A claim that is a list
// matches when any element does; a request without a valid JWT has no claims and never matches
// (an inverted matcher then does).
import { ConfigRejection, obj, only, str, type J } from '../../config/check.js';
import type { StringMatcher } from '../../config/types.js';
import type { RequestAuth } from '../identity.js';

export const AUTHN_METADATA_FILTER = 'istio_authn';
export const CLAIMS_METADATA_KEY = 'request.auth.claims';

export interface ClaimMatcher {
  /** Claim path below the claims ("groups", or nested ["org", "team"]). */
  path: string[];
  matcher: StringMatcher;
  invert: boolean;
}

export function decodeClaimMatcher(m: J, path: string, stringMatcher: (m: J, path: string) => StringMatcher): ClaimMatcher {
  only(m, path, ['filter', 'path', 'value', 'invert']);
  if (m.filter !== AUTHN_METADATA_FILTER) throw new ConfigRejection(`${path}.filter`, `only ${AUTHN_METADATA_FILTER} metadata (JWT claims) is supported, got ${JSON.stringify(m.filter)}`);
  if (!Array.isArray(m.path) || m.path.length < 2) throw new ConfigRejection(`${path}.path`, `expected [${CLAIMS_METADATA_KEY}, <claim>...]`);
  const keys = m.path.map((seg, i) => {
    const sp = `${path}.path[${i}]`;
    const so = obj(seg, sp);
    only(so, sp, ['key']);
    return str(so.key, `${sp}.key`);
  });
  if (keys[0] !== CLAIMS_METADATA_KEY) throw new ConfigRejection(`${path}.path[0].key`, `expected ${CLAIMS_METADATA_KEY}`);
  const v = obj(m.value, `${path}.value`);
  only(v, `${path}.value`, ['list_match']);
  const lm = obj(v.list_match, `${path}.value.list_match`);
  only(lm, `${path}.value.list_match`, ['one_of']);
  const one = obj(lm.one_of, `${path}.value.list_match.one_of`);
  only(one, `${path}.value.list_match.one_of`, ['string_match']);
  const matcher = stringMatcher(obj(one.string_match, `${path}.value.list_match.one_of.string_match`), `${path}.value.list_match.one_of.string_match`);
  if (m.invert !== undefined && typeof m.invert !== 'boolean') throw new ConfigRejection(`${path}.invert`, 'expected a boolean');
  return { path: keys.slice(1), matcher, invert: m.invert === true };
}

function claimAt(claims: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let v: unknown = claims;
  for (const k of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export function claimMatches(cm: ClaimMatcher, auth: RequestAuth | null | undefined, stringMatches: (m: StringMatcher, v: string) => boolean): boolean {
  const v = auth ? claimAt(auth.claims, cm.path) : undefined;
  const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const ok = values.some((x) => (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') && stringMatches(cm.matcher, String(x)));
  return cm.invert ? !ok : ok;
}
