// Config kinds Weft understands: the Istio networking API (verbatim field names) and
// Weft's local Workload kind. These are the *validated* shapes: parse.ts/validate.ts turn
// untrusted YAML into these, and everything downstream may trust them.

import type { CorsPolicy, Headers, HTTPDirectResponse, HTTPFaultInjection, HTTPMirrorPolicy, HTTPRedirect } from './route-features-types.js';
export type { CorsPolicy, Headers, HTTPDirectResponse, HTTPFaultInjection, HTTPMirrorPolicy, HTTPRedirect } from './route-features-types.js';
import type { DefaultProviders, ExtensionProvider, TelemetrySpec } from './telemetry-types.js';
export type * from './telemetry-types.js';

import type { RequestAuthenticationSpec } from './request-authentication-types.js';
export type { ClaimToHeader, JwtHeader, JWTRule, RequestAuthenticationSpec } from './request-authentication-types.js';
import type { AuthorizationPolicySpec } from './authz-types.js';
export type { AuthorizationPolicySpec, AuthzAction, AuthzCondition, AuthzOperation, AuthzRule, AuthzSource } from './authz-types.js';
export { ISTIO_SECURITY_GROUP } from './authz-types.js';

export const ISTIO_NETWORKING_GROUP = 'networking.istio.io';
export const WEFT_GROUP = 'weft.dev';

export type KindName =
  | 'ServiceEntry'
  | 'WorkloadEntry'
  | 'VirtualService'
  | 'DestinationRule'
  | 'Gateway'
  | 'Workload'
  | 'MeshConfig'
  | 'RequestAuthentication'
  | 'Telemetry'
  | 'AuthorizationPolicy'
  | 'PeerAuthentication';

export const ALL_KINDS: readonly KindName[] = [
  'ServiceEntry',
  'WorkloadEntry',
  'VirtualService',
  'DestinationRule',
  'Gateway',
  'Workload',
  'MeshConfig',
  'RequestAuthentication',
  'Telemetry',
  'AuthorizationPolicy',
  'PeerAuthentication',
];

export interface ObjectMeta {
  name: string;
  /** Defaults to "default" when absent in the YAML. */
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Where a resource came from, so errors and status can point at it. */
export interface SourceRef {
  file: string;
  /** 1-based index of the YAML document inside the file. */
  document: number;
}

interface ResourceBase<K extends KindName, S> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  source?: SourceRef;
}

// ---------------------------------------------------------------- ServiceEntry

export type PortProtocol = 'HTTP' | 'HTTP2' | 'GRPC' | 'TCP' | 'HTTPS' | 'TLS';

export interface ServicePort {
  number: number;
  protocol: PortProtocol;
  name: string;
  targetPort?: number;
}

export interface WorkloadEntrySpec {
  address: string;
  ports: Record<string, number>;
  labels: Record<string, string>;
  serviceAccount?: string;
  weight?: number;
  network?: string;
  locality?: string;
}

export interface ServiceEntrySpec {
  hosts: string[];
  addresses: string[];
  ports: ServicePort[];
  location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  endpoints: WorkloadEntrySpec[];
  workloadSelector?: { labels: Record<string, string> };
  exportTo: string[];
}

// ---------------------------------------------------------------- VirtualService

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  withoutHeaders?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  port?: number;
  ignoreUriCase?: boolean;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
}

export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

export interface HTTPRouteDestination {
  destination: Destination;
  weight?: number;
  /** Header operations applied when this destination is picked. */
  headers?: Headers;
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
}

export interface HTTPRoute {
  name?: string;
  match: HTTPMatchRequest[];
  route: HTTPRouteDestination[];
  rewrite?: HTTPRewrite;
  /** Duration in milliseconds (parsed from Istio's "1.5s" form). */
  timeoutMs?: number;
  /** Absent: Istio's default policy (2 attempts). */
  retries?: HTTPRetry;
  // Route features (types in route-features-types.ts): fault, mirroring, headers, redirect, directResponse, CORS.
  fault?: HTTPFaultInjection;
  /** `mirror` and `mirrors` together (mirror first), each with its percentage (absent: 100). */
  mirrors?: HTTPMirrorPolicy[];
  headers?: Headers;
  redirect?: HTTPRedirect;
  directResponse?: HTTPDirectResponse;
  corsPolicy?: CorsPolicy;
}

/** VirtualService `retries`, as Istio defines it. */
export interface HTTPRetry {
  /** Retries after the first try; 0 disables retries. */
  attempts: number;
  perTryTimeoutMs?: number;
  /** `retryOn` split on commas: policy names and plain status codes ("503"). */
  retryOn?: string[];
  retryRemoteLocalities?: boolean;
}

export interface VirtualServiceSpec {
  hosts: string[];
  gateways: string[];
  http: HTTPRoute[];
  /** L4 routes (match by destination port, weighted destinations); absent when none. */
  tcp?: TCPRoute[];
  /** TLS passthrough routes by SNI (the proxy never terminates TLS); absent when none. */
  tls?: TLSRoute[];
  exportTo: string[];
}

export interface L4MatchAttributes {
  port?: number;
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface TCPRoute {
  match: L4MatchAttributes[];
  route: RouteDestination[];
}

export interface TLSMatchAttributes {
  /** SNI values to match; a leading "*." matches any subdomain. */
  sniHosts: string[];
  port?: number;
}

export interface TLSRoute {
  match: TLSMatchAttributes[];
  route: RouteDestination[];
}

// ---------------------------------------------------------------- DestinationRule

export type SimpleLB = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH' | 'UNSPECIFIED';

export interface LoadBalancerSettings {
  simple?: SimpleLB;
  /** Session affinity (ring hash or maglev); exclusive with `simple`. See ConsistentHashLB. */
  consistentHash?: ConsistentHashLB;
  /** warmupDurationSecs (or warmup.duration): slow start for ROUND_ROBIN and LEAST_REQUEST. */
  warmupMs?: number;
  localityLbSetting?: LocalityLbSetting;
}

/** Istio's LocalityLoadBalancerSetting (see ./validate-locality-lb.ts). */
export interface LocalityLbSetting {
  enabled?: boolean;
  failover?: { from: string; to: string }[];
  failoverPriority?: string[];
}

/** Istio's LoadBalancerSettings.ConsistentHashLB: exactly one hash key source. */
export interface ConsistentHashLB {
  key:
    | { kind: 'header'; name: string }
    | { kind: 'cookie'; name: string; path?: string; ttlMs?: number }
    | { kind: 'sourceIp' }
    | { kind: 'queryParameter'; name: string };
  /** ringHash.minimumRingSize, or the deprecated top-level minimumRingSize. */
  ringHash?: { minimumRingSize?: number };
  maglev?: { tableSize?: number };
}

export interface TcpKeepalive {
  probes?: number;
  timeMs?: number;
  intervalMs?: number;
}

export interface ConnectionPoolSettings {
  tcp?: {
    maxConnections?: number;
    connectTimeoutMs?: number;
    tcpKeepalive?: TcpKeepalive;
    /** TCP (tcp_proxy) connections only: max_downstream_connection_duration. */
    maxConnectionDurationMs?: number;
    /** TCP (tcp_proxy) connections only: idle_timeout; 0 turns it off. */
    idleTimeoutMs?: number;
  };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeoutMs?: number;
  };
}

export interface OutlierDetection {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  /** Istio's deprecated spelling: counts gateway errors (502, 503, 504), as Istio translates it. */
  consecutiveErrors?: number;
  intervalMs?: number;
  baseEjectionTimeMs?: number;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

/** DestinationRule ClientTLSSettings: how the client sidecar originates TLS (../control/translate/upstream-tls.ts). */
export interface ClientTLSSettings {
  mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  subjectAltNames?: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
}

export interface PortTrafficPolicy {
  port: { number: number };
  tls?: ClientTLSSettings;
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
  /** Per service port; a match replaces the policy's settings whole (no inheritance), as in Istio. */
  portLevelSettings?: PortTrafficPolicy[];
}

export interface Subset {
  name: string;
  labels: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets: Subset[];
  exportTo: string[];
}

// ---------------------------------------------------------------- Gateway

export interface GatewayServer {
  name?: string;
  port: { number: number; protocol: PortProtocol; name: string };
  hosts: string[];
}

export interface GatewaySpec {
  selector: Record<string, string>;
  servers: GatewayServer[];
}

// ---------------------------------------------------------------- Workload (weft.dev/v1alpha1)

export interface WorkloadPort {
  name: string;
  /** Port the app listens on (on its own loopback address). */
  containerPort: number;
  /** Port the service is reached on; defaults to containerPort. */
  servicePort: number;
  protocol: PortProtocol;
}

export interface LocalWorkloadSpec {
  /** Service this workload belongs to (short name in the workload's namespace). */
  service: string;
  serviceAccount: string;
  replicas: number;
  ports: WorkloadPort[];
  command: string[];
  env: Record<string, string>;
  /** Working directory for the command, relative to the YAML file's directory. */
  workingDir?: string;
  /** "region/zone/subzone": copied into the instances' WorkloadEntries and their sidecars' xDS node. */
  locality?: string;
}

// ---------------------------------------------------------------- MeshConfig (weft.dev/v1alpha1)

/** Istio meshConfig fields Weft reads. Absent fields take MESH_DEFAULTS (../control/model/mesh.ts). */
export interface MeshConfigSpec {
  /** Namespace whose policies apply mesh-wide (PeerAuthentication, AuthorizationPolicy, Telemetry...). */
  rootNamespace?: string;
  /** SPIFFE trust domain of workload identities. */
  trustDomain?: string;
  // Telemetry (./telemetry-types.ts, ./validate-mesh-telemetry.ts): access logs are off unless set.
  /** Access-log file for every proxy ("/dev/stdout" is common); absent or "": off. */
  accessLogFile?: string;
  accessLogEncoding?: 'TEXT' | 'JSON';
  /** Absent or "": Istio's default format for the encoding. */
  accessLogFormat?: string;
  extensionProviders?: ExtensionProvider[];
  defaultProviders?: DefaultProviders;
  /** How sidecars normalize request paths before routing and authorization (Istio's ProxyPathNormalization). */
  pathNormalization?: { normalization: PathNormalization };
  /** Requests for hosts the mesh does not know: ALLOW_ANY (PassthroughCluster) or REGISTRY_ONLY (blocked). */
  outboundTrafficPolicy?: { mode: OutboundTrafficMode };
  // Tracing defaults (./validate-mesh-tracing.ts, src/control/translate/tracing.ts).
  /** Istio's enableTracing (default true): false = no tracing unless a Telemetry/defaultProviders configures it. */
  enableTracing?: boolean;
  /** Istio's ProxyConfig defaults; only tracing.sampling (percent) is read. */
  defaultConfig?: MeshDefaultConfig;
}

/** MeshConfig defaultConfig (Istio's ProxyConfig): the fields Weft reads. */
export interface MeshDefaultConfig {
  tracing?: { sampling?: number };
}

/** MeshConfig outboundTrafficPolicy.mode (Istio's default: ALLOW_ANY). */
export type OutboundTrafficMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** MeshConfig pathNormalization.normalization; Istio's DEFAULT is read as BASE. */
export type PathNormalization = 'NONE' | 'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES';

// ---------------------------------------------------------------- PeerAuthentication (security.istio.io)

export type MutualTlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthenticationSpec {
  /** matchLabels of the workloads it applies to; absent: the whole namespace (or mesh in the root namespace). */
  selector?: Record<string, string>;
  mtls?: { mode: MutualTlsMode };
  /** Per workload (container/service) port; only with a selector, as in Istio. */
  portLevelMtls?: Record<string, { mode: MutualTlsMode }>;
}

export type ServiceEntry = ResourceBase<'ServiceEntry', ServiceEntrySpec>;
export type WorkloadEntry = ResourceBase<'WorkloadEntry', WorkloadEntrySpec>;
export type VirtualService = ResourceBase<'VirtualService', VirtualServiceSpec>;
export type DestinationRule = ResourceBase<'DestinationRule', DestinationRuleSpec>;
export type Gateway = ResourceBase<'Gateway', GatewaySpec>;
export type LocalWorkload = ResourceBase<'Workload', LocalWorkloadSpec>;
export type MeshConfig = ResourceBase<'MeshConfig', MeshConfigSpec>;
export type RequestAuthentication = ResourceBase<'RequestAuthentication', RequestAuthenticationSpec>;
export type Telemetry = ResourceBase<'Telemetry', TelemetrySpec>;
export type AuthorizationPolicy = ResourceBase<'AuthorizationPolicy', AuthorizationPolicySpec>;
export type PeerAuthentication = ResourceBase<'PeerAuthentication', PeerAuthenticationSpec>;

export type Resource =
  | ServiceEntry
  | WorkloadEntry
  | VirtualService
  | DestinationRule
  | Gateway
  | LocalWorkload
  | MeshConfig
  | RequestAuthentication
  | Telemetry
  | AuthorizationPolicy
  | PeerAuthentication;

export function resourceKey(r: { kind: string; metadata: { namespace: string; name: string } }): string {
  return `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
}
