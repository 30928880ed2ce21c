// AuthorizationPolicy → the RBAC filters of one sidecar's inbound listeners, or of a gateway's
// listeners (a policy selects a gateway by its labels, as in Istio). Pure.
//   scope: a policy in MeshConfig rootNamespace applies mesh-wide, any other to its own namespace;
//          selector.matchLabels narrows it to the workloads whose labels it matches.
//   HTTP:  envoy.filters.http.rbac before the router, in Istio's order: AUDIT (action LOG), DENY,
//          ALLOW; one filter per action present. An ALLOW filter exists as soon as one ALLOW
//          policy selects the workload, even one without rules (it then allows nothing).
//   TCP:   envoy.filters.network.rbac before tcp_proxy, same order (./authz-rbac.ts drops or
//          relaxes the HTTP-only parts of rules as Istio does).
// No policy selecting the workload: no filter at all, so the listeners are unchanged.
import type { AuthorizationPolicy, AuthzAction } from '../../api/types.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import type { Json } from './clusters.js';
import { policyName, rulePolicy } from './authz-rbac.js';
import { HTTP_RBAC_FILTER, HTTP_RBAC_TYPE_URL, NETWORK_RBAC_FILTER, NETWORK_RBAC_TYPE_URL } from '../../xds/rbac-filters.js';

const ORDER: readonly AuthzAction[] = ['AUDIT', 'DENY', 'ALLOW'];
const ENVOY_ACTION: Readonly<Record<AuthzAction, string | undefined>> = { AUDIT: 'LOG', DENY: 'DENY', ALLOW: undefined /* proto default */ };

export interface AuthzFilters {
  /** HTTP filters to put before the router (empty: none). */
  http: Json[];
  /** Network filters to put before tcp_proxy (empty: none). */
  tcp: Json[];
}

export const NO_AUTHZ: AuthzFilters = Object.freeze({ http: [], tcp: [] });

/** The AuthorizationPolicies that apply to this sidecar's workload, sorted by namespace/name. */
export function policiesFor(snapshot: Snapshot, proxy: ProxyModel): AuthorizationPolicy[] {
  const list = (snapshot.byKind.get('AuthorizationPolicy') ?? []) as AuthorizationPolicy[];
  const ns = proxy.metadata.NAMESPACE;
  const labels = proxy.metadata.LABELS;
  return list
    .filter((p) => p.metadata.namespace === snapshot.mesh.rootNamespace || p.metadata.namespace === ns)
    .filter((p) => Object.entries(p.spec.selector ?? {}).every(([k, v]) => labels[k] === v))
    .sort((a, b) => {
      const ka = `${a.metadata.namespace}/${a.metadata.name}`;
      const kb = `${b.metadata.namespace}/${b.metadata.name}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
}

function rbacRules(policies: readonly AuthorizationPolicy[], action: AuthzAction, forTcp: boolean): Json {
  const out: Record<string, Json> = {};
  for (const p of policies) {
    p.spec.rules.forEach((rule, i) => {
      const policy = rulePolicy(rule, action, forTcp);
      if (policy) out[policyName(p.metadata.namespace, p.metadata.name, i)] = policy;
    });
  }
  const envoyAction = ENVOY_ACTION[action];
  return { ...(envoyAction ? { action: envoyAction } : {}), policies: out };
}

/** The RBAC filters for `proxy` (a sidecar, or a gateway by its labels); NO_AUTHZ when no policy selects it. */
export function authzFilters(snapshot: Snapshot, proxy: ProxyModel): AuthzFilters {
  const policies = policiesFor(snapshot, proxy);
  if (policies.length === 0) return NO_AUTHZ;
  const http: Json[] = [];
  const tcp: Json[] = [];
  for (const action of ORDER) {
    const of = policies.filter((p) => p.spec.action === action);
    if (of.length === 0) continue;
    http.push({ name: HTTP_RBAC_FILTER, typed_config: { '@type': HTTP_RBAC_TYPE_URL, rules: rbacRules(of, action, false) } });
    tcp.push({ name: NETWORK_RBAC_FILTER, typed_config: { '@type': NETWORK_RBAC_TYPE_URL, rules: rbacRules(of, action, true), stat_prefix: 'tcp.' } });
  }
  return { http, tcp };
}

/** A tcp_proxy listener with the network RBAC filters put in front of its tcp_proxy. */
export function withNetworkRbac(listener: Json, filters: readonly Json[]): Json {
  if (filters.length === 0) return listener;
  const chains = listener.filter_chains as { filters: Json[] }[];
  return { ...listener, filter_chains: chains.map((c) => ({ ...c, filters: [...filters, ...c.filters] })) };
}
