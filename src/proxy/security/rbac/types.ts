// The compiled form of Envoy's RBAC config (envoy.config.rbac.v3.RBAC): predicates built once when
// config arrives (./decode.ts), evaluated per request or connection (./evaluate.ts).
import type { RequestAuth } from '../identity.js';

/** Everything a rule may look at. HTTP fields are absent for L4 (network filter) checks. */
export interface RbacInput {
  /** Peer SPIFFE ID without the scheme (ConnectionSecurity.peerPrincipal); undefined: plaintext. */
  peerPrincipal: string | undefined;
  /** What a validated JWT proved (RequestAuthentication); undefined: no token. */
  requestAuth: RequestAuth | undefined;
  /** The connection's peer (Envoy's direct_remote_ip / Istio source.ip). */
  sourceIp: string;
  sourcePort: number;
  /** The original client (Envoy's remote_ip / Istio remote.ip): last x-forwarded-for hop, else sourceIp. */
  remoteIp: string;
  destinationIp: string;
  destinationPort: number;
  /** TLS SNI; undefined on plaintext. */
  sni: string | undefined;
  /** Flat [name, value, ...] with lower-case names; undefined for L4 checks. */
  headers: readonly string[] | undefined;
  method: string | undefined;
  /** The normalized path without query. */
  path: string | undefined;
  /** The :authority (Host) as sent. */
  host: string | undefined;
}

export type Predicate = (input: RbacInput) => boolean;

export interface CompiledPolicy {
  name: string;
  permissions: Predicate[];
  principals: Predicate[];
}

export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

/** One RBAC filter: an action and its policies, in name order (Envoy keeps them in a sorted map). */
export interface RbacEngine {
  action: RbacAction;
  policies: CompiledPolicy[];
  /** network filter stat_prefix (Envoy's "<stat_prefix>rbac.*"); '' for HTTP filters. */
  statPrefix: string;
}
