// AuthorizationPolicy (security.istio.io/v1, v1beta1): Istio's field names, validated.
// Absent lists read as []; a field's "not" form sits beside it. See validate-authorization-policy.ts.

export const ISTIO_SECURITY_GROUP = 'security.istio.io';

export type AuthzAction = 'ALLOW' | 'DENY' | 'AUDIT';

/** rules[].from[].source: who is calling. Values may use Istio's "*" prefix/suffix/presence forms. */
export interface AuthzSource {
  principals: string[];
  notPrincipals: string[];
  requestPrincipals: string[];
  notRequestPrincipals: string[];
  namespaces: string[];
  notNamespaces: string[];
  ipBlocks: string[];
  notIpBlocks: string[];
  remoteIpBlocks: string[];
  notRemoteIpBlocks: string[];
}

/** rules[].to[].operation: what is called. */
export interface AuthzOperation {
  hosts: string[];
  notHosts: string[];
  ports: number[];
  notPorts: number[];
  methods: string[];
  notMethods: string[];
  paths: string[];
  notPaths: string[];
}

/** rules[].when[]: one more condition on an Istio attribute ("request.headers[x-user]"). */
export interface AuthzCondition {
  key: string;
  values: string[];
  notValues: string[];
}

export interface AuthzRule {
  from: AuthzSource[];
  to: AuthzOperation[];
  when: AuthzCondition[];
}

export interface AuthorizationPolicySpec {
  /** selector.matchLabels; absent: every workload in the policy's scope. */
  selector?: Record<string, string>;
  action: AuthzAction;
  rules: AuthzRule[];
}
