// What a proxy tells the control plane about itself (xDS Node.metadata), and what sidecars tell
// each other about their workloads (metadata exchange). Field names follow Istio's node metadata.

export type ProxyType = 'sidecar' | 'router';

/** Identity of a proxy, sent in every DiscoveryRequest's node.metadata. */
export interface ProxyMetadata {
  /** Proxy type: sidecar beside a workload instance, or router (gateway). */
  type: ProxyType;
  /** The instance name, e.g. "shipping-v1-0". */
  NAME: string;
  NAMESPACE: string;
  /** Workload (deployment) name, e.g. "shipping-v1". */
  WORKLOAD_NAME: string;
  LABELS: Record<string, string>;
  SERVICE_ACCOUNT: string;
  /** The instance's own loopback address (127.0.x.y); listeners bind here. */
  INSTANCE_IP: string;
  /** Admin server "ip:port" (/ready, /config_dump, /stats/prometheus). */
  ADMIN_ADDRESS: string;
  /** Port of the explicit outbound (HTTP proxy) listener; sidecars only. 15001 by default. */
  OUTBOUND_PORT?: number;
  CLUSTER_ID: string;
  /** Port serving /stats/prometheus on INSTANCE_IP (15090 by default); 0 when disabled. */
  STATS_PORT?: number;
  /** Gateways: Gateway server port → port actually bound (e.g. {"80": 8080}). */
  PORT_MAP?: Record<string, number>;
}

/** Istio-style xDS node id: "<type>~<ip>~<name>.<namespace>~<namespace>.svc.cluster.local". */
export function nodeId(m: Pick<ProxyMetadata, 'type' | 'INSTANCE_IP' | 'NAME' | 'NAMESPACE'>): string {
  return `${m.type}~${m.INSTANCE_IP}~${m.NAME}.${m.NAMESPACE}~${m.NAMESPACE}.svc.cluster.local`;
}

/** Workload facts one sidecar passes to its peer (request header outbound, response header back). */
export interface PeerMetadata {
  workload: string;
  namespace: string;
  app: string;
  version: string;
  serviceAccount: string;
  /** SPIFFE-style principal; empty until mTLS lands (then metrics use it). */
  principal: string;
  cluster: string;
  /** Istio's canonical service and revision (service.istio.io/canonical-name / -revision labels); absent: app / version. */
  canonicalService?: string;
  canonicalRevision?: string;
}

export const PEER_METADATA_HEADER = 'x-weft-peer-metadata';
