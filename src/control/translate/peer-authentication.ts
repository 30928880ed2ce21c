// PeerAuthentication → the inbound listeners' filter chains, as Istio builds them.
//
// Effective mode for one workload port (Istio's precedence, narrowest wins, UNSET inherits):
//   default PERMISSIVE < mesh (policy without selector in MeshConfig rootNamespace)
//   < namespace (policy without selector in the workload's namespace)
//   < workload (policy in that namespace whose selector.matchLabels match the workload)
//   < portLevelMtls[containerPort] of that workload policy.
// Several policies at one level: the first by name wins (Istio takes the oldest).
//
// STRICT → tls_inspector + one chain matched by transport_protocol "tls" and the mesh ALPN names
// (application_protocols) terminating mTLS (DownstreamTlsContext with SDS "default" / "ROOTCA",
// client certificate required, SPIFFE IDs of the mesh trust domain). PERMISSIVE → that chain plus
// a "raw_buffer" chain with the same filters. DISABLE → the listener as it was (plaintext only).
import type { MutualTlsMode, PeerAuthentication } from '../../api/types.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import type { Json } from './clusters.js';
import { DOWNSTREAM_TLS_TYPE_URL, TLS_INSPECTOR_FILTER, TLS_INSPECTOR_TYPE_URL, TLS_TRANSPORT_SOCKET } from '../../xds/network-filters.js';

export type EffectiveMtls = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** The ALPN names Istio's client sidecars offer for mesh mTLS (filter_chain_match.application_protocols). */
export const MESH_ALPN_MATCH = ['istio-peer-exchange', 'istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'];
const SDS = { ads: {}, resource_api_version: 'V3' };

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const e = Object.entries(selector);
  return e.length > 0 && e.every(([k, v]) => labels[k] === v);
}

function hasSelector(pa: PeerAuthentication): boolean {
  return pa.spec.selector !== undefined && Object.keys(pa.spec.selector).length > 0;
}

function byName(a: PeerAuthentication, b: PeerAuthentication): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** The mode of a workload (namespace + labels) on one of its ports (container port). */
export function effectiveMtlsMode(snapshot: Snapshot, namespace: string, labels: Record<string, string>, port: number | undefined): EffectiveMtls {
  const all = ((snapshot.byKind.get('PeerAuthentication') ?? []) as PeerAuthentication[]).slice().sort(byName);
  if (all.length === 0) return 'PERMISSIVE';
  const root = snapshot.mesh.rootNamespace;
  const mesh = all.find((pa) => pa.metadata.namespace === root && !hasSelector(pa));
  const ns = namespace === root ? undefined : all.find((pa) => pa.metadata.namespace === namespace && !hasSelector(pa));
  const wl = all.find((pa) => pa.metadata.namespace === namespace && selects(pa.spec.selector, labels));
  let mode: EffectiveMtls = 'PERMISSIVE';
  const apply = (m: MutualTlsMode | undefined): void => {
    if (m && m !== 'UNSET') mode = m;
  };
  apply(mesh?.spec.mtls?.mode);
  apply(ns?.spec.mtls?.mode);
  apply(wl?.spec.mtls?.mode);
  if (port !== undefined) apply(wl?.spec.portLevelMtls?.[String(port)]?.mode);
  return mode;
}

/** The DownstreamTlsContext transport socket of the mTLS chain. */
export function inboundMtlsSocket(trustDomain: string, alpn: string[]): Json {
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: {
      '@type': DOWNSTREAM_TLS_TYPE_URL,
      common_tls_context: {
        alpn_protocols: alpn,
        tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: SDS }],
        combined_validation_context: {
          default_validation_context: { match_subject_alt_names: [{ prefix: `spiffe://${trustDomain}/` }] },
          validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: SDS },
        },
      },
      require_client_certificate: true,
    },
  };
}

/**
 * Rewrites one inbound listener (a single filter chain) for its port's mode. `tcp` selects the
 * ALPN Istio's TCP chains carry. DISABLE returns the listener unchanged.
 */
export function applyPeerAuthentication(listener: Json, mode: EffectiveMtls, trustDomain: string, tcp: boolean): Json {
  if (mode === 'DISABLE') return listener;
  const chains = listener.filter_chains as Json[];
  const base = chains[0];
  if (!base) return listener;
  const alpn = tcp ? ['istio-peer-exchange', 'h2', 'http/1.1'] : ['h2', 'http/1.1'];
  const out: Json[] = [
    {
      ...base,
      filter_chain_match: { transport_protocol: 'tls', application_protocols: MESH_ALPN_MATCH },
      transport_socket: inboundMtlsSocket(trustDomain, alpn),
    },
  ];
  if (mode === 'PERMISSIVE') out.push({ ...base, filter_chain_match: { transport_protocol: 'raw_buffer' } });
  return {
    ...listener,
    listener_filters: [{ name: TLS_INSPECTOR_FILTER, typed_config: { '@type': TLS_INSPECTOR_TYPE_URL } }],
    filter_chains: out,
  };
}

/** The inbound listener for a sidecar's workload port, with its PeerAuthentication applied. */
export function withPeerAuthentication(snapshot: Snapshot, proxy: ProxyModel, listener: Json, containerPort: number, tcp: boolean): Json {
  const mode = effectiveMtlsMode(snapshot, proxy.metadata.NAMESPACE, proxy.metadata.LABELS, containerPort);
  return applyPeerAuthentication(listener, mode, snapshot.mesh.trustDomain, tcp);
}
