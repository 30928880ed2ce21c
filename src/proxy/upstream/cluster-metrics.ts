// Envoy's per-cluster stats in the proxy's registry, named as Envoy's Prometheus output names
// them with Istio's stats tags (`cluster_name`, `response_code_class`, `response_code`):
// circuit breaker overflows, outlier ejections, and the upstream request/connection stats kept
// on each cluster (./cluster-stats.ts), read at scrape time.
import type { CollectedSample, Registry } from '../../telemetry/prom.js';
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
  const perCluster = (value: (s: ReturnType<ClusterManager['stats']>[number]) => number) => (): CollectedSample[] =>
    clusters()
      .stats()
      .map((s) => ({ labels: [s.cluster], value: value(s) }));
  registry.counter({
    name: 'envoy_cluster_upstream_rq_total',
    help: 'Upstream requests (attempts, retries included) sent to the hosts of the cluster.',
    labelNames: ['cluster_name'],
    collect: perCluster((s) => s.upstream.rqTotal),
  });
  registry.counter({
    name: 'envoy_cluster_upstream_rq_completed',
    help: 'Upstream requests that received a response.',
    labelNames: ['cluster_name'],
    collect: perCluster((s) => s.upstream.rqCompleted),
  });
  // Envoy exports upstream_rq_2xx and upstream_rq_200 as one metric with either a
  // response_code_class or a response_code tag; here both labels exist and the other is empty
  // (Prometheus treats an empty label as absent, so queries see Envoy's series).
  registry.counter({
    name: 'envoy_cluster_upstream_rq',
    help: 'Upstream responses by response code class (response_code_class) and by code (response_code).',
    labelNames: ['cluster_name', 'response_code_class', 'response_code'],
    collect: () => {
      const out: CollectedSample[] = [];
      for (const s of clusters().stats()) {
        const { classes, codes } = s.upstream.responses();
        for (const [cls, n] of classes) out.push({ labels: [s.cluster, cls, ''], value: n });
        for (const [code, n] of codes) out.push({ labels: [s.cluster, '', code], value: n });
      }
      return out;
    },
  });
  registry.gauge({
    name: 'envoy_cluster_upstream_cx_active',
    help: 'Upstream connections open now.',
    labelNames: ['cluster_name'],
    collect: perCluster((s) => s.upstream.cxActive),
  });
  registry.counter({
    name: 'envoy_cluster_upstream_cx_rx_bytes_total',
    help: 'Bytes received from the upstream hosts of the cluster.',
    labelNames: ['cluster_name'],
    collect: perCluster((s) => s.upstream.rxBytes),
  });
  registry.counter({
    name: 'envoy_cluster_upstream_cx_tx_bytes_total',
    help: 'Bytes sent to the upstream hosts of the cluster.',
    labelNames: ['cluster_name'],
    collect: perCluster((s) => s.upstream.txBytes),
  });
  return { onOverflow: (cluster) => overflow.labels(cluster).inc(), onCxOverflow: (cluster) => cxOverflow.labels(cluster).inc() };
}
