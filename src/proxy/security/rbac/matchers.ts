// Leaf matchers of Envoy's RBAC config, compiled once: string matchers, CIDR ranges, header
// matchers, Istio's authn metadata (request.auth.*), each rejecting any field it does not implement.
import net from 'node:net';
import { arr, bool, compileRegex, ConfigRejection, num, obj, only, str } from '../../config/check.js';
import type { RbacInput } from './types.js';

export type StrMatch = (s: string) => boolean;

/** envoy.type.matcher.v3.StringMatcher: exact, prefix, suffix, contains, safe_regex; ignore_case. */
export function compileStringMatcher(v: unknown, path: string): StrMatch {
  const m = obj(v, path);
  only(m, path, ['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'ignore_case']);
  const ic = bool(m.ignore_case, `${path}.ignore_case`, false);
  const kinds = ['exact', 'prefix', 'suffix', 'contains', 'safe_regex'].filter((k) => m[k] !== undefined);
  if (kinds.length !== 1) throw new ConfigRejection(path, `expected exactly one of exact, prefix, suffix, contains, safe_regex, got ${kinds.length}`);
  const fold = (s: string): string => (ic ? s.toLowerCase() : s);
  if (m.safe_regex !== undefined) {
    const rp = `${path}.safe_regex`;
    const r = obj(m.safe_regex, rp);
    only(r, rp, ['regex', 'google_re2']);
    let re = str(r.regex, `${rp}.regex`);
    // RE2's leading (?i) flag (Istio writes host matchers this way); JS takes it as a flag.
    let flagI = ic;
    if (re.startsWith('(?i)')) {
      re = re.slice(4);
      flagI = true;
    }
    const rx = compileRegex(re, `${rp}.regex`, flagI);
    return (s) => rx.test(s);
  }
  const kind = kinds[0]!;
  const want = fold(str(m[kind], `${path}.${kind}`));
  switch (kind) {
    case 'exact':
      return (s) => fold(s) === want;
    case 'prefix':
      return (s) => fold(s).startsWith(want);
    case 'suffix':
      return (s) => fold(s).endsWith(want);
    default:
      return (s) => fold(s).includes(want);
  }
}

/** Strips the IPv4-mapped IPv6 prefix node reports for dual-stack sockets. */
export function plainIp(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** envoy.config.core.v3.CidrRange → a test on an address. */
export function compileCidr(v: unknown, path: string): (ip: string) => boolean {
  const c = obj(v, path);
  only(c, path, ['address_prefix', 'prefix_len']);
  const addr = str(c.address_prefix, `${path}.address_prefix`);
  const family = net.isIP(addr);
  if (family === 0) throw new ConfigRejection(`${path}.address_prefix`, `expected an IP address, got ${JSON.stringify(addr)}`);
  const max = family === 4 ? 32 : 128;
  const len = c.prefix_len === undefined ? 0 : num(c.prefix_len, `${path}.prefix_len`);
  if (!Number.isInteger(len) || len < 0 || len > max) throw new ConfigRejection(`${path}.prefix_len`, `expected 0..${max}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new net.BlockList();
  list.addSubnet(addr, len, type);
  return (ip) => {
    const p = plainIp(ip);
    const f = net.isIP(p);
    return f !== 0 && (f === 4 ? 'ipv4' : 'ipv6') === type && list.check(p, type);
  };
}

/** A request header's value as Envoy's header matcher sees it: pseudo-headers from the request, repeats joined with ",". */
export function headerValue(input: RbacInput, name: string): string | undefined {
  if (name === ':authority' || name === 'host') return input.host;
  if (name === ':method') return input.method;
  if (name === ':path') return input.path;
  const h = input.headers;
  if (!h) return undefined;
  let out: string | undefined;
  for (let i = 0; i < h.length; i += 2) if (h[i] === name) out = out === undefined ? h[i + 1] : `${out},${h[i + 1]}`;
  return out;
}

/** envoy.config.route.v3.HeaderMatcher: string_match, exact_match, present_match; invert_match. */
export function compileHeader(v: unknown, path: string): (input: RbacInput) => boolean {
  const h = obj(v, path);
  only(h, path, ['name', 'string_match', 'exact_match', 'present_match', 'invert_match']);
  const name = str(h.name, `${path}.name`).toLowerCase();
  const invert = bool(h.invert_match, `${path}.invert_match`, false);
  let test: (value: string | undefined) => boolean;
  if (h.string_match !== undefined) {
    const m = compileStringMatcher(h.string_match, `${path}.string_match`);
    test = (value) => value !== undefined && m(value);
  } else if (h.exact_match !== undefined) {
    const want = str(h.exact_match, `${path}.exact_match`);
    test = (value) => value === want;
  } else if (h.present_match !== undefined) {
    const want = bool(h.present_match, `${path}.present_match`, true);
    test = (value) => (value !== undefined) === want;
  } else {
    throw new ConfigRejection(path, 'expected string_match, exact_match or present_match');
  }
  return (input) => test(headerValue(input, name)) !== invert;
}

/** Istio's RequestAuthentication filter name for dynamic metadata (request.auth.*). */
export const AUTHN_FILTER = 'istio_authn';

/** The value at an istio_authn metadata path: principal, audiences, presenter, or a (nested) claim. */
function authnValue(input: RbacInput, keys: readonly string[]): unknown {
  const auth = input.requestAuth;
  if (!auth) return undefined;
  const [first, ...rest] = keys;
  if (first === 'request.auth.principal') return rest.length === 0 ? auth.principal : undefined;
  if (first === 'request.auth.audiences') return rest.length === 0 ? auth.claims.aud : undefined;
  if (first === 'request.auth.presenter') return rest.length === 0 ? auth.claims.azp : undefined;
  if (first !== 'request.auth.claims') return undefined;
  let cur: unknown = auth.claims;
  for (const k of rest) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A claim value as strings: a string, a list of strings, or a scalar rendered as text. */
function asStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v)) return v.flatMap((x) => (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? [String(x)] : []));
  return [];
}

/** envoy.type.matcher.v3.MetadataMatcher for filter istio_authn: string_match or list_match.one_of.string_match. */
export function compileAuthnMetadata(v: unknown, path: string): (input: RbacInput) => boolean {
  const m = obj(v, path);
  only(m, path, ['filter', 'path', 'value', 'invert']);
  const filter = str(m.filter, `${path}.filter`);
  if (filter !== AUTHN_FILTER) throw new ConfigRejection(`${path}.filter`, `only ${AUTHN_FILTER} metadata (request.auth.*) is supported, got ${filter}`);
  const keys = arr(m.path, `${path}.path`).map((seg, i) => {
    const sp = `${path}.path[${i}]`;
    const s = obj(seg, sp);
    only(s, sp, ['key']);
    return str(s.key, `${sp}.key`);
  });
  const known = ['request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'request.auth.claims'];
  if (keys.length === 0 || !known.includes(keys[0]!)) throw new ConfigRejection(`${path}.path`, `expected a path starting with one of ${known.join(', ')}`);
  const vp = `${path}.value`;
  const val = obj(m.value, vp);
  only(val, vp, ['string_match', 'list_match']);
  let sm: StrMatch;
  if (val.string_match !== undefined) sm = compileStringMatcher(val.string_match, `${vp}.string_match`);
  else if (val.list_match !== undefined) {
    const lp = `${vp}.list_match`;
    const lm = obj(val.list_match, lp);
    only(lm, lp, ['one_of']);
    const one = obj(lm.one_of, `${lp}.one_of`);
    only(one, `${lp}.one_of`, ['string_match']);
    sm = compileStringMatcher(one.string_match, `${lp}.one_of.string_match`);
  } else throw new ConfigRejection(vp, 'expected string_match or list_match');
  const invert = bool(m.invert, `${path}.invert`, false);
  return (input) => asStrings(authnValue(input, keys)).some(sm) !== invert;
}
