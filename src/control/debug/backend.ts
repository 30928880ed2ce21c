// What the debug HTTP server needs from the control plane. The control plane implements this;
// the server (server.ts) only translates HTTP to these calls, so it can be tested with a double.

import type { KindName, Resource } from '../../api/types.js';

/** Where one xDS type stands for one proxy (the istioctl proxy-status columns). */
export interface SyncTypeStatus {
  sentVersion: string | null;
  sentNonce: string | null;
  ackedVersion: string | null;
  /** The proxy's error_detail from its last NACK, if the latest response was rejected. */
  nack: string | null;
  status: 'SYNCED' | 'STALE' | 'NACK' | 'NOT_SENT';
}

export type XdsTypeName = 'cds' | 'eds' | 'lds' | 'rds';

export interface ProxySync {
  /** xDS node id. */
  id: string;
  type: 'sidecar' | 'router';
  name: string;
  workload: string;
  namespace: string;
  adminAddress: string;
  /** ISO-8601 time the ADS stream opened. */
  connectedAt: string;
  types: Record<XdsTypeName, SyncTypeStatus>;
}

/** Result of applying one YAML stream; resources are named by resourceKey() ("Kind/ns/name"). */
export interface ApplyResult {
  applied: string[];
  unchanged: string[];
  warnings: string[];
  errors: string[];
}

export interface DeleteResult {
  deleted: string[];
  notFound: string[];
  errors: string[];
}

export interface ResourceQuery {
  kind?: KindName;
  namespace?: string;
  name?: string;
}

export interface DebugBackend {
  syncz(): ProxySync[];
  listResources(q: ResourceQuery): Resource[];
  /** Validates every document first; applies none if any has an error. */
  apply(yamlText: string, sourceName: string): ApplyResult;
  delete(yamlText: string, sourceName: string): DeleteResult;
  /** The xDS last sent to that proxy, or null if no such proxy is connected. */
  configDump(proxyId: string): unknown | null;
  /** Prometheus text exposition format. */
  metricsText(): string;
  /** Prometheus HTTP service discovery JSON (./prometheus-sd.ts); absent: 404. */
  prometheusSd?(): unknown;
}
