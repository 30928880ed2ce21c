// Identity-carrying request headers at the inbound edge, and principals for telemetry.
// Trust rule: the metadata-exchange header (x-weft-peer-metadata) is believed only on a verified
// mTLS connection (another sidecar wrote it), and the caller's principal always comes from the
// certificate, never from a header. x-forwarded-client-cert from the client is always dropped
// and set by this sidecar from the verified connection (Envoy's SANITIZE_SET), so an app sees
// XFCC only when the caller proved it: "By=<our SPIFFE ID>;Hash=<sha256 of peer leaf>;URI=<peer>".
import type { ConnectionSecurity } from './identity.js';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import { isMutualTls } from './inbound-tls.js';
import { peerCache } from '../http/peers.js';
import { verifiedPeerOf } from './upstream-tls.js';
import type net from 'node:net';

export const XFCC_HEADER = 'x-forwarded-client-cert';

/** Headers a client could forge to claim an identity; handled by `inboundPeer` / dropped. */
export function isForgeableIdentityHeader(name: string): boolean {
  return name === XFCC_HEADER;
}

const withPrincipal = new Map<string, PeerMetadata>();

/**
 * The caller as the inbound sidecar records it: the exchange header's workload labels only over
 * verified mTLS, with the principal from the certificate. Plaintext: null (unknown caller).
 */
export function inboundPeer(headerValue: string, security: ConnectionSecurity | undefined): PeerMetadata | null {
  if (!security || !isMutualTls(security)) return null;
  const decoded = peerCache.decode(headerValue);
  if (!decoded) return principalPeer(security.peerSpiffeId);
  const key = `${headerValue}\u0001${security.peerSpiffeId}`;
  let p = withPrincipal.get(key);
  if (!p) {
    if (withPrincipal.size > 10_000) withPrincipal.clear();
    p = { ...decoded, principal: security.peerSpiffeId };
    withPrincipal.set(key, p);
  }
  return p;
}

const principalOnly = new Map<string, PeerMetadata>();

/** A peer known only by its principal (an mTLS caller that sent no metadata, a TCP caller).
 *  Telemetry principals are full SPIFFE IDs, as Istio's source_principal label shows them. */
export function principalPeer(principal: string): PeerMetadata {
  let p = principalOnly.get(principal);
  if (!p) {
    if (principalOnly.size > 10_000) principalOnly.clear();
    p = { workload: '', namespace: '', app: '', version: '', serviceAccount: '', principal, cluster: '' };
    principalOnly.set(principal, p);
  }
  return p;
}

/** The XFCC line this sidecar adds for the app (empty on plaintext connections). */
export function xfccLine(security: ConnectionSecurity | undefined, selfSpiffeId: string | undefined): string {
  if (!security || !isMutualTls(security)) return '';
  const by = selfSpiffeId ? `By=${selfSpiffeId};` : '';
  return `${XFCC_HEADER}: ${by}Hash=${security.peerCertHash};URI=${security.peerSpiffeId}\r\n`;
}

/** The peer to record for an inbound request: the header's (trusted) peer, or the principal alone. */
export function recordedSource(peer: PeerMetadata | null, security: ConnectionSecurity | undefined): PeerMetadata | null {
  if (peer) return peer;
  return security?.peerPrincipal ? principalPeer(`spiffe://${security.peerPrincipal}`) : null;
}

/** The server as the client sidecar records it: the response header's peer with the principal the
 *  upstream mTLS connection verified (none on plaintext). */
export function outboundPeer(headerValue: string, upstream: net.Socket | undefined): PeerMetadata | null {
  const decoded = peerCache.decode(headerValue);
  const id = verifiedPeerOf(upstream);
  if (!decoded || !id) return decoded;
  const principal = id;
  const key = `${headerValue}\u0001${principal}`;
  let p = withPrincipal.get(key);
  if (!p) {
    if (withPrincipal.size > 10_000) withPrincipal.clear();
    p = { ...decoded, principal };
    withPrincipal.set(key, p);
  }
  return p;
}
