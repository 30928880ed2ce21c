// The control plane's view of a connected proxy: what translation needs to know about it.
import type { ProxyMetadata } from '../../xds/node-metadata.js';
import type { Locality } from '../../api/locality.js';

export interface ProxyModel {
  id: string;
  metadata: ProxyMetadata;
  /** xDS node.locality; absent when the proxy sent none. */
  locality?: Locality;
  /** The host this proxy reached the xDS port on (its `:authority`); the default trace collector's
   *  host when the control plane's HTTP address is unspecified (./collector.ts). */
  xdsHost?: string;
}

/** Canonical Istio telemetry names for a workload: app label or workload name, version or "latest". */
export function workloadIdentity(m: ProxyMetadata): { app: string; version: string } {
  return { app: m.LABELS.app ?? m.WORKLOAD_NAME, version: m.LABELS.version ?? 'latest' };
}
