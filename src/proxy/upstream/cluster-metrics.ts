// Envoy's per-cluster circuit breaker and outlier detection stats, in the proxy's registry.
import type { Registry } from '../../telemetry/prom.js';
import type { ClusterManager, ClusterManagerOptions } from './cluster-manager.js';

/** Registers the metrics and returns the ClusterManager hooks that feed them. */
export function clusterMetricsHooks(registry: Registry, clusters: () => ClusterManager): ClusterManagerOptions {
  const overflow = registry.counter({
    name: 'envoy_cluster_upstream_rq_pending_overflow',
    help: 'Requests that overflowed the connection pool or requests circuit breakers and failed with UO.',
    labelNames: ['cluster_name'],
  });
  const cxOverflow = registry.counter({
    name: 'envoy_cluster_upstream_cx_overflow',
    help: 'Times a connection could not be opened because of the max_connections circuit breaker (the request or TCP connection waited in the pending queue).',
    labelNames: ['cluster_name'],
  });
  registry.gauge({
    name: 'envoy_cluster_outlier_detection_ejections_active',
    help: 'Hosts currently ejected by outlier detection.',
    labelNames: ['cluster_name'],
    collect: () => clusters().stats().filter((s) => s.ejectionsActive > 0 || s.ejectionsTotal > 0).map((s) => ({ labels: [s.cluster], value: s.ejectionsActive })),
  });
  return { onOverflow: (cluster) => overflow.labels(cluster).inc(), onCxOverflow: (cluster) => cxOverflow.labels(cluster).inc() };
}
