// RBAC filter configs (xDS JSON) → RbacEngine: envoy.extensions.filters.http.rbac.v3.RBAC and
// envoy.extensions.filters.network.rbac.v3.RBAC. Every Permission and Principal form Istio emits
// is compiled to a predicate; any other field is refused with its path (→ NACK).
import { arr, ConfigRejection, num, obj, only, str, type J } from '../../config/check.js';
import { compileAuthnMetadata, compileCidr, compileHeader, compileStringMatcher, plainIp } from './matchers.js';
import type { CompiledPolicy, Predicate, RbacAction, RbacEngine } from './types.js';

/** Exactly one key of a oneof, named in the rejection when there are none or several. */
function oneKey(o: J, path: string, what: string): string {
  const keys = Object.keys(o);
  if (keys.length !== 1) throw new ConfigRejection(path, `expected exactly one ${what} rule, got ${keys.length === 0 ? 'none' : keys.join(', ')}`);
  return keys[0]!;
}

function list<T>(v: unknown, path: string, field: string, item: (x: unknown, p: string) => T): T[] {
  const o = obj(v, path);
  only(o, path, [field]);
  return arr(o[field], `${path}.${field}`).map((x, i) => item(x, `${path}.${field}[${i}]`));
}

function port(v: unknown, path: string): number {
  const n = num(v, path);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigRejection(path, 'expected a port 0..65535');
  return n;
}

/** Field names of a Permission / Principal's `any`, and/or sets and negation. */
interface SetNames {
  and: string;
  or: string;
  not: string;
  /** The repeated field inside the and/or set message. */
  list: string;
}
const PERMISSION_SET: SetNames = { and: 'and_rules', or: 'or_rules', not: 'not_rule', list: 'rules' };
const PRINCIPAL_SET: SetNames = { and: 'and_ids', or: 'or_ids', not: 'not_id', list: 'ids' };

/** `any`, and/or sets and negation, shared by permissions and principals; undefined for other kinds. */
function combinator(k: string, v: unknown, kp: string, names: SetNames, self: (v: unknown, path: string) => Predicate): Predicate | undefined {
  if (k === 'any') return () => true;
  if (k === names.and || k === names.or) {
    const parts = list(v, kp, names.list, self);
    return k === names.and ? (i) => parts.every((f) => f(i)) : (i) => parts.some((f) => f(i));
  }
  if (k === names.not) {
    const inner = self(v, kp);
    return (i) => !inner(i);
  }
  return undefined;
}

/** envoy.config.rbac.v3.Permission: what is being accessed. */
export function compilePermission(v: unknown, path: string): Predicate {
  const p = obj(v, path);
  const k = oneKey(p, path, 'permission');
  const kp = `${path}.${k}`;
  const c = combinator(k, p[k], kp, PERMISSION_SET, compilePermission);
  if (c) return c;
  switch (k) {
    case 'header':
      return compileHeader(p[k], kp);
    case 'url_path': {
      const u = obj(p[k], kp);
      only(u, kp, ['path']);
      const m = compileStringMatcher(u.path, `${kp}.path`);
      return (i) => i.path !== undefined && m(i.path);
    }
    case 'destination_ip': {
      const m = compileCidr(p[k], kp);
      return (i) => m(i.destinationIp);
    }
    case 'destination_port': {
      const want = port(p[k], kp);
      return (i) => i.destinationPort === want;
    }
    case 'requested_server_name': {
      const m = compileStringMatcher(p[k], kp);
      return (i) => m(i.sni ?? '');
    }
    default:
      throw new ConfigRejection(kp, 'permission rule not supported by this proxy');
  }
}

/** envoy.config.rbac.v3.Principal: who is asking. */
export function compilePrincipal(v: unknown, path: string): Predicate {
  const p = obj(v, path);
  const k = oneKey(p, path, 'principal');
  const kp = `${path}.${k}`;
  const c = combinator(k, p[k], kp, PRINCIPAL_SET, compilePrincipal);
  if (c) return c;
  switch (k) {
    case 'authenticated': {
      const a = obj(p[k], kp);
      only(a, kp, ['principal_name']);
      // Envoy compares principal_name with the peer certificate's URI SAN (spiffe://...).
      if (a.principal_name === undefined) return (i) => i.peerPrincipal !== undefined;
      const m = compileStringMatcher(a.principal_name, `${kp}.principal_name`);
      return (i) => i.peerPrincipal !== undefined && m(`spiffe://${i.peerPrincipal}`);
    }
    case 'direct_remote_ip': {
      const m = compileCidr(p[k], kp);
      return (i) => m(plainIp(i.sourceIp));
    }
    case 'remote_ip': {
      const m = compileCidr(p[k], kp);
      return (i) => m(plainIp(i.remoteIp));
    }
    case 'header':
      return compileHeader(p[k], kp);
    case 'url_path': {
      const u = obj(p[k], kp);
      only(u, kp, ['path']);
      const m = compileStringMatcher(u.path, `${kp}.path`);
      return (i) => i.path !== undefined && m(i.path);
    }
    case 'metadata':
      return compileAuthnMetadata(p[k], kp);
    default:
      throw new ConfigRejection(kp, 'principal rule not supported by this proxy');
  }
}

/** envoy.config.rbac.v3.RBAC (`rules`): action and named policies, kept in name order. */
export function decodeRbacRules(v: unknown, path: string, statPrefix: string): RbacEngine {
  const r = obj(v, path);
  only(r, path, ['action', 'policies']);
  const a = r.action ?? 'ALLOW';
  if (a !== 'ALLOW' && a !== 'DENY' && a !== 'LOG') throw new ConfigRejection(`${path}.action`, `expected ALLOW, DENY or LOG, got ${JSON.stringify(a)}`);
  const policies: CompiledPolicy[] = [];
  const pol = r.policies === undefined ? {} : obj(r.policies, `${path}.policies`);
  for (const name of Object.keys(pol).sort()) {
    const pp = `${path}.policies[${JSON.stringify(name)}]`;
    const p = obj(pol[name], pp);
    only(p, pp, ['permissions', 'principals']);
    const permissions = arr(p.permissions, `${pp}.permissions`).map((x, i) => compilePermission(x, `${pp}.permissions[${i}]`));
    const principals = arr(p.principals, `${pp}.principals`).map((x, i) => compilePrincipal(x, `${pp}.principals[${i}]`));
    if (permissions.length === 0 || principals.length === 0) throw new ConfigRejection(pp, 'a policy needs at least one permission and one principal');
    policies.push({ name, permissions, principals });
  }
  return { action: a as RbacAction, policies, statPrefix };
}

/** typed_config of envoy.filters.http.rbac. Without `rules` the filter allows everything (Envoy). */
export function decodeHttpRbac(tc: J, path: string): RbacEngine | undefined {
  only(tc, path, ['@type', 'rules']);
  return tc.rules === undefined ? undefined : decodeRbacRules(tc.rules, `${path}.rules`, '');
}

/** typed_config of envoy.filters.network.rbac. */
export function decodeNetworkRbac(tc: J, path: string): RbacEngine | undefined {
  only(tc, path, ['@type', 'rules', 'stat_prefix']);
  const statPrefix = tc.stat_prefix === undefined ? '' : str(tc.stat_prefix, `${path}.stat_prefix`);
  return tc.rules === undefined ? undefined : decodeRbacRules(tc.rules, `${path}.rules`, statPrefix);
}
