// Who is on the other side of an exchange: peer metadata from the exchange header (cached per
// header value) or from EDS endpoint metadata (cached per value), and the hop-by-hop header test.
import { HOP_BY_HOP } from './codec/h1/headers.js';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import { PeerMetadataCache } from '../../telemetry/peer-metadata.js';

export const peerCache = new PeerMetadataCache();

/** Headers never copied between hops (beyond HOP_BY_HOP and Connection-nominated ones). */
export function isHopByHop(name: string, tokens: readonly string[]): boolean {
  return HOP_BY_HOP.has(name) || (tokens.length > 0 && tokens.includes(name));
}

const endpointPeers = new Map<string, PeerMetadata>();

/** Peer metadata from EDS endpoint metadata, one shared object per distinct value. */
export function peerFromWorkloadMetadata(w: string | undefined, sa: string | undefined): PeerMetadata | null {
  if (!w) return null;
  const key = `${w}|${sa ?? ''}`;
  const hit = endpointPeers.get(key);
  if (hit) return hit;
  if (endpointPeers.size > 10_000) endpointPeers.clear();
  const peer = parseWorkloadMetadata(w, sa);
  endpointPeers.set(key, peer);
  return peer;
}

function parseWorkloadMetadata(w: string, sa: string | undefined): PeerMetadata {
  const [workload, namespace, app, version, cluster] = w.split(';');
  return {
    workload: workload ?? '',
    namespace: namespace ?? '',
    app: app ?? '',
    version: version ?? '',
    serviceAccount: sa ?? '',
    principal: '',
    cluster: cluster ?? '',
  };
}

