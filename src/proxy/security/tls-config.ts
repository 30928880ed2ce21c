// Runtime shapes of the TLS transport sockets the proxy implements (decoded by
// ../config/decode-tls.ts): the server side of an inbound listener (Istio's mTLS filter chains)
// and the client side of a cluster (auto mTLS transport_socket_matches, DestinationRule TLS).
import type { SanMatcher } from './spiffe-verify.js';

/** SDS secret names Istio uses for the workload certificate and the trust bundle. */
export const SDS_CERT = 'default';
export const SDS_ROOT = 'ROOTCA';

export interface DownstreamTls {
  requireClientCertificate: boolean;
  /** common_tls_context.alpn_protocols: the server's preference. */
  alpn: string[];
  /** match_subject_alt_names on the client certificate (e.g. prefix spiffe://cluster.local/). */
  sanMatchers: SanMatcher[];
}

/** An inbound listener whose filter chains are matched by transport protocol (tls_inspector). */
export interface InboundTlsConfig {
  tls: DownstreamTls;
  /** The tls chain's filter_chain_match.application_protocols; empty: any ALPN. */
  applicationProtocols: string[];
  /** A raw_buffer chain exists (PeerAuthentication PERMISSIVE): plaintext is served too. */
  allowPlaintext: boolean;
}

export interface UpstreamTls {
  /** Stable text of this config: connections made with different configs never share a pool. */
  key: string;
  sni: string | undefined;
  alpn: string[];
  /** Client certificate: the workload's (SDS "default"), files (DestinationRule MUTUAL), or none. */
  identity: { kind: 'sds' } | { kind: 'files'; certFile: string; keyFile: string } | null;
  /** Server verification roots: the mesh bundle (SDS "ROOTCA"), a CA file, or none (no verification). */
  trust: { kind: 'sds' } | { kind: 'file'; caFile: string } | null;
  /** match_subject_alt_names; with SDS trust the peer must also be a well-formed X.509-SVID. */
  sanMatchers: SanMatcher[];
}

/** A cluster's transport: transport_socket_matches in order, then transport_socket (null: plaintext). */
export interface ClusterTransport {
  matches: { name: string; match: Readonly<Record<string, string>>; tls: UpstreamTls | null }[];
  socket: UpstreamTls | null;
}

/** The transport for one endpoint: the first match whose criteria the endpoint's metadata all meet. */
export function selectTransport(t: ClusterTransport | undefined, endpointMatch: Readonly<Record<string, string>> | undefined): UpstreamTls | null {
  if (!t) return null;
  for (const m of t.matches) {
    if (Object.entries(m.match).every(([k, v]) => endpointMatch?.[k] === v)) return m.tls;
  }
  return t.socket;
}
