// One AuthorizationPolicy rule → one Envoy RBAC policy (envoy.config.rbac.v3.Policy), in Istio's
// shapes: each `to` is an and_rules of per-field or_rules (permissions), each `from` an and_ids
// of per-field or_ids (principals), `when` conditions added to the side they belong to, not-forms
// wrapped in not_rule / not_id. Pure; see ./authz.ts for which policies a proxy gets.
//
// For TCP filter chains (forTcp) the HTTP-only fields (requestPrincipals, hosts, methods, paths,
// request.* keys) cannot be evaluated. As Istio does: an ALLOW rule using any of them is dropped
// (it must not allow more than written), a DENY or AUDIT rule keeps its other fields and ignores
// those (it denies more, never less).
import type { AuthzAction, AuthzCondition, AuthzOperation, AuthzRule, AuthzSource } from '../../api/types.js';
import type { Json } from './clusters.js';

/** Istio's RequestAuthentication results live under this dynamic metadata filter name. */
export const AUTHN_FILTER = 'istio_authn';

type StringMatcher = Json;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Istio's value forms: "*" (present), "prefix*", "*suffix", exact. */
function stringMatch(v: string, opts: { prefix?: string; ignoreCase?: boolean } = {}): StringMatcher {
  const pre = opts.prefix ?? '';
  const ic = opts.ignoreCase ? { ignore_case: true } : {};
  if (v === '*') return pre ? { prefix: pre, ...ic } : { safe_regex: { regex: '.+' } };
  if (v.startsWith('*')) return { suffix: v.slice(1), ...ic };
  if (v.endsWith('*')) return { prefix: pre + v.slice(0, -1), ...ic };
  return { exact: pre + v, ...ic };
}

function cidr(v: string): Json {
  const slash = v.indexOf('/');
  const ip = slash < 0 ? v : v.slice(0, slash);
  const len = slash < 0 ? (ip.includes(':') ? 128 : 32) : Number(v.slice(slash + 1));
  return { address_prefix: ip, prefix_len: len };
}

const principal = (v: string): Json => ({ authenticated: { principal_name: stringMatch(v, { prefix: 'spiffe://' }) } });

function namespace(v: string): Json {
  const ns = v === '*' ? '[^/]+' : v.startsWith('*') ? `[^/]*${escapeRegex(v.slice(1))}` : v.endsWith('*') ? `${escapeRegex(v.slice(0, -1))}[^/]*` : escapeRegex(v);
  return { authenticated: { principal_name: { safe_regex: { regex: `.*/ns/${ns}/.*` } } } };
}

function authnMetadata(keys: string[], v: string, list: boolean): Json {
  const m = stringMatch(v);
  return {
    metadata: {
      filter: AUTHN_FILTER,
      path: keys.map((key) => ({ key })),
      value: list ? { list_match: { one_of: { string_match: m } } } : { string_match: m },
    },
  };
}

/** Host header values: case-insensitive; a host without a port also matches it with any port. */
function host(v: string): Json {
  if (v === '*') return { header: { name: ':authority', present_match: true } };
  if (/:\d+$/.test(v)) return { header: { name: ':authority', string_match: stringMatch(v, { ignoreCase: true }) } };
  const body = v.startsWith('*') ? `.*${escapeRegex(v.slice(1))}` : v.endsWith('*') ? `${escapeRegex(v.slice(0, -1))}.*` : escapeRegex(v);
  return { header: { name: ':authority', string_match: { safe_regex: { regex: `(?i)${body}(:[0-9]+)?` } } } };
}

function header(name: string, v: string): Json {
  if (v === '*') return { header: { name, present_match: true } };
  return { header: { name, string_match: stringMatch(v) } };
}

const path = (v: string): Json => ({ url_path: { path: v === '*' ? { prefix: '/' } : stringMatch(v) } });

// ---------------------------------------------------------------- when keys

type Side = 'principal' | 'permission';

/** Which side a `when` key is evaluated on, its matcher per value, and whether it needs HTTP. */
function conditionMatcher(key: string): { side: Side; http: boolean; match: (v: string) => Json } {
  const hdr = /^request\.headers\[(.+)\]$/.exec(key);
  if (hdr) return { side: 'principal', http: true, match: (v) => header((hdr[1] ?? '').toLowerCase(), v) };
  if (key.startsWith('request.auth.claims[')) {
    const names = [...key.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1] ?? '');
    return { side: 'principal', http: true, match: (v) => authnMetadata(['request.auth.claims', ...names], v, true) };
  }
  switch (key) {
    case 'source.ip':
      return { side: 'principal', http: false, match: (v) => ({ direct_remote_ip: cidr(v) }) };
    case 'remote.ip':
      return { side: 'principal', http: false, match: (v) => ({ remote_ip: cidr(v) }) };
    case 'source.namespace':
      return { side: 'principal', http: false, match: namespace };
    case 'source.principal':
      return { side: 'principal', http: false, match: principal };
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
      return { side: 'principal', http: true, match: (v) => authnMetadata([key], v, false) };
    case 'destination.ip':
      return { side: 'permission', http: false, match: (v) => ({ destination_ip: cidr(v) }) };
    case 'destination.port':
      return { side: 'permission', http: false, match: (v) => ({ destination_port: Number(v) }) };
    case 'connection.sni':
      return { side: 'permission', http: false, match: (v) => ({ requested_server_name: stringMatch(v) }) };
    default:
      // Validation (../../api/validate-authorization-policy.ts) admits no other key.
      throw new Error(`unknown when key ${key}`);
  }
}

// ---------------------------------------------------------------- assembly

interface FieldSpec<T> {
  values: readonly T[];
  not: boolean;
  http: boolean;
  match: (v: T) => Json;
}

/** One field's or-list, negated for its not-form; undefined when the field is empty. */
function orOf<T>(f: FieldSpec<T>, side: Side): Json | undefined {
  if (f.values.length === 0) return undefined;
  const items = f.values.map(f.match);
  const or = side === 'principal' ? { or_ids: { ids: items } } : { or_rules: { rules: items } };
  if (!f.not) return or;
  return side === 'principal' ? { not_id: or } : { not_rule: or };
}

function sourceFields(s: AuthzSource): FieldSpec<string>[] {
  return [
    { values: s.principals, not: false, http: false, match: principal },
    { values: s.notPrincipals, not: true, http: false, match: principal },
    { values: s.requestPrincipals, not: false, http: true, match: (v) => authnMetadata(['request.auth.principal'], v, false) },
    { values: s.notRequestPrincipals, not: true, http: true, match: (v) => authnMetadata(['request.auth.principal'], v, false) },
    { values: s.namespaces, not: false, http: false, match: namespace },
    { values: s.notNamespaces, not: true, http: false, match: namespace },
    { values: s.ipBlocks, not: false, http: false, match: (v) => ({ direct_remote_ip: cidr(v) }) },
    { values: s.notIpBlocks, not: true, http: false, match: (v) => ({ direct_remote_ip: cidr(v) }) },
    { values: s.remoteIpBlocks, not: false, http: false, match: (v) => ({ remote_ip: cidr(v) }) },
    { values: s.notRemoteIpBlocks, not: true, http: false, match: (v) => ({ remote_ip: cidr(v) }) },
  ];
}

function operationFields(o: AuthzOperation): FieldSpec<string>[] {
  const port = (v: string): Json => ({ destination_port: Number(v) });
  return [
    { values: o.hosts, not: false, http: true, match: host },
    { values: o.notHosts, not: true, http: true, match: host },
    { values: o.ports.map(String), not: false, http: false, match: port },
    { values: o.notPorts.map(String), not: true, http: false, match: port },
    { values: o.methods, not: false, http: true, match: (v) => header(':method', v) },
    { values: o.notMethods, not: true, http: true, match: (v) => header(':method', v) },
    { values: o.paths, not: false, http: true, match: path },
    { values: o.notPaths, not: true, http: true, match: path },
  ];
}

function conditionFields(when: readonly AuthzCondition[], side: Side): FieldSpec<string>[] {
  const out: FieldSpec<string>[] = [];
  for (const c of when) {
    const m = conditionMatcher(c.key);
    if (m.side !== side) continue;
    out.push({ values: c.values, not: false, http: m.http, match: m.match });
    out.push({ values: c.notValues, not: true, http: m.http, match: m.match });
  }
  return out;
}

function usesHttp(rule: AuthzRule): boolean {
  const any = (fs: FieldSpec<string>[]): boolean => fs.some((f) => f.http && f.values.length > 0);
  return (
    rule.from.some((f) => any(sourceFields(f))) ||
    rule.to.some((t) => any(operationFields(t))) ||
    any(conditionFields(rule.when, 'principal')) ||
    any(conditionFields(rule.when, 'permission'))
  );
}

/** and_ids / and_rules of the fields' or-lists; `any` when nothing constrains. */
function andOf(fields: FieldSpec<string>[], side: Side, forTcp: boolean): Json {
  const parts = fields.filter((f) => !(forTcp && f.http)).map((f) => orOf(f, side)).filter((j): j is Json => j !== undefined);
  if (parts.length === 0) return { any: true };
  return side === 'principal' ? { and_ids: { ids: parts } } : { and_rules: { rules: parts } };
}

/** The Envoy policy for one rule, or undefined when the rule is dropped (ALLOW with HTTP fields on TCP). */
export function rulePolicy(rule: AuthzRule, action: AuthzAction, forTcp: boolean): Json | undefined {
  if (forTcp && action === 'ALLOW' && usesHttp(rule)) return undefined;
  const whenPrincipals = conditionFields(rule.when, 'principal');
  const whenPermissions = conditionFields(rule.when, 'permission');
  const principals = rule.from.length === 0 ? [andOf(whenPrincipals, 'principal', forTcp)] : rule.from.map((f) => andOf([...sourceFields(f), ...whenPrincipals], 'principal', forTcp));
  const permissions = rule.to.length === 0 ? [andOf(whenPermissions, 'permission', forTcp)] : rule.to.map((t) => andOf([...operationFields(t), ...whenPermissions], 'permission', forTcp));
  return { permissions, principals };
}

/** Istio's policy name: the access log's rbac_access_denied_matched_policy[...] shows it. */
export function policyName(namespace: string, name: string, ruleIndex: number): string {
  return `ns[${namespace}]-policy[${name}]-rule[${ruleIndex}]`;
}
