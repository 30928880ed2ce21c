// CDS/EDS for TLS origination by the client sidecar, as Istio emits it.
//
// Auto mTLS (no DestinationRule tls): endpoints whose workload carries the label
// `security.istio.io/tlsMode: istio` get metadata envoy.transport_socket_match {tlsMode: istio},
// and the cluster gets transport_socket_matches: "tlsMode-istio" → Istio mutual TLS,
// "tlsMode-disabled" (matches anything) → raw_buffer. Clusters whose endpoints carry no such
// label keep no transport socket (plaintext, as before).
//
// DestinationRule trafficPolicy.tls (merged per subset and port like the rest of the policy):
//   ISTIO_MUTUAL → transport_socket with the workload certificate (SDS "default"), the mesh
//                  bundle (SDS "ROOTCA") and the service's SPIFFE IDs (or subjectAltNames);
//   DISABLE      → no transport socket; SIMPLE / MUTUAL → caCertificates, clientCertificate and
//                  privateKey as files, sni, subjectAltNames; insecureSkipVerify: no verification.
//
// Mesh mTLS SNI is outbound_.<port>_.<subset>_.<host>; the expected server identities are the
// service accounts of the service's endpoints: spiffe://<trust domain>/ns/<ns>/sa/<sa>.
import type { ClientTLSSettings, TrafficPolicy } from '../../api/types.js';
import type { ServiceEndpoint, ServiceModel } from '../model/services.js';
import type { Json } from './clusters.js';
import type { Snapshot } from '../model/snapshot.js';
import { effectiveMtlsMode } from './peer-authentication.js';
import { RAW_BUFFER_TRANSPORT_SOCKET, RAW_BUFFER_TYPE_URL, TLS_TRANSPORT_SOCKET, UPSTREAM_TLS_TYPE_URL } from '../../xds/network-filters.js';

export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
export const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';
/** ALPN Istio's client sidecars offer on mesh mTLS connections. */
export const MESH_CLIENT_ALPN = ['istio-peer-exchange', 'istio'];
const SDS = { ads: {}, resource_api_version: 'V3' };

export function isIstioTlsEndpoint(ep: ServiceEndpoint): boolean {
  return ep.labels[TLS_MODE_LABEL] === 'istio';
}

/**
 * EDS endpoint metadata selecting the mTLS transport socket (merged into filter_metadata): for
 * workloads labelled tlsMode=istio, unless their PeerAuthentication (mesh, namespace, workload;
 * not port level) is DISABLE, Istio's best-effort inference of the server's mode.
 */
export function endpointTlsMetadata(snapshot: Snapshot, ep: ServiceEndpoint): Json | undefined {
  if (!isIstioTlsEndpoint(ep) || effectiveMtlsMode(snapshot, ep.namespace, ep.labels, undefined) === 'DISABLE') return undefined;
  return { [TRANSPORT_SOCKET_MATCH]: { tlsMode: 'istio' } };
}

export function meshSni(port: number, subset: string, host: string): string {
  return `outbound_.${port}_.${subset}_.${host}`;
}

/** The SPIFFE IDs of the service's workloads (sorted, unique). */
export function serviceIdentities(svc: ServiceModel, trustDomain: string): string[] {
  const ids = new Set<string>();
  for (const ep of svc.endpoints) if (ep.serviceAccount) ids.add(`spiffe://${trustDomain}/ns/${ep.namespace}/sa/${ep.serviceAccount}`);
  return [...ids].sort();
}

function sanMatchers(ids: string[], trustDomain: string): Json[] {
  // No known service account: any identity of the mesh's trust domain.
  return ids.length > 0 ? ids.map((exact) => ({ exact })) : [{ prefix: `spiffe://${trustDomain}/` }];
}

export function istioMutualSocket(sni: string, ids: string[], trustDomain: string): Json {
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: {
      '@type': UPSTREAM_TLS_TYPE_URL,
      common_tls_context: {
        alpn_protocols: MESH_CLIENT_ALPN,
        tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: SDS }],
        combined_validation_context: {
          default_validation_context: { match_subject_alt_names: sanMatchers(ids, trustDomain) },
          validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: SDS },
        },
      },
      sni,
    },
  };
}

function originationSocket(tls: ClientTLSSettings, defaultSni: string | undefined): Json {
  const common: Json = {};
  if (tls.mode === 'MUTUAL' && tls.clientCertificate && tls.privateKey) {
    common.tls_certificates = [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }];
  }
  if (!tls.insecureSkipVerify && (tls.caCertificates || (tls.subjectAltNames?.length ?? 0) > 0)) {
    const v: Json = {};
    if (tls.caCertificates) v.trusted_ca = { filename: tls.caCertificates };
    if (tls.subjectAltNames?.length) v.match_subject_alt_names = tls.subjectAltNames.map((exact) => ({ exact }));
    common.validation_context = v;
  }
  const sni = tls.sni ?? defaultSni;
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: { '@type': UPSTREAM_TLS_TYPE_URL, common_tls_context: common, ...(sni ? { sni } : {}) },
  };
}

/** Sets the cluster's transport_socket / transport_socket_matches for its policy and endpoints. */
export function applyUpstreamTls(cluster: Json, svc: ServiceModel, port: number, subset: string, policy: TrafficPolicy | undefined, trustDomain: string): void {
  const tls = policy?.tls;
  const sni = meshSni(port, subset, svc.host);
  if (!tls) {
    if (!svc.endpoints.some(isIstioTlsEndpoint)) return;
    cluster.transport_socket_matches = [
      { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: istioMutualSocket(sni, serviceIdentities(svc, trustDomain), trustDomain) },
      { name: 'tlsMode-disabled', match: {}, transport_socket: { name: RAW_BUFFER_TRANSPORT_SOCKET, typed_config: { '@type': RAW_BUFFER_TYPE_URL } } },
    ];
    return;
  }
  switch (tls.mode) {
    case 'DISABLE':
      return;
    case 'ISTIO_MUTUAL': {
      const ids = tls.subjectAltNames?.length ? tls.subjectAltNames : serviceIdentities(svc, trustDomain);
      cluster.transport_socket = istioMutualSocket(tls.sni ?? sni, ids, trustDomain);
      return;
    }
    case 'SIMPLE':
    case 'MUTUAL':
      // Without an explicit sni, Istio sends the service host for external (DNS) services.
      cluster.transport_socket = originationSocket(tls, svc.location === 'MESH_EXTERNAL' ? svc.host : undefined);
      return;
  }
}
