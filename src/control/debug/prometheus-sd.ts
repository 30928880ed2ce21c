// Prometheus HTTP service discovery (`http_sd_configs`) for the mesh: every proxy connected over
// ADS, scraped on <INSTANCE_IP>:<STATS_PORT>/stats/prometheus, plus the control plane's own
// /metrics. Target labels follow Istio's `kubernetes-pods` job: the pod's labels (sanitized to
// Prometheus label names), `namespace` and `pod`; Weft adds `workload` and `proxy_type`.
// https://prometheus.io/docs/prometheus/latest/http_sd/
import type { ProxyMetadata } from '../../xds/node-metadata.js';

/** One target group of the HTTP SD answer. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** The path proxies serve metrics on (Istio's 15090 port path). */
export const PROXY_METRICS_PATH = '/stats/prometheus';
export const DEFAULT_STATS_PORT = 15090;
/** Where the control plane serves the SD JSON. */
export const PROMETHEUS_SD_PATH = '/debug/prometheus_sd';

/** Label names Prometheus reserves or our own labels take; pod labels never override them. */
const RESERVED = new Set(['namespace', 'pod', 'workload', 'proxy_type', 'job', 'instance']);

/** A Kubernetes label key as Prometheus's labelmap shows it: invalid characters become "_". */
export function sanitizeLabelName(key: string): string {
  let s = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(s)) s = `_${s}`;
  return s;
}

/** `host:port` with IPv6 hosts bracketed. */
function target(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The scrape target of one proxy, or null when its stats port is disabled (0). */
export function proxyTarget(m: ProxyMetadata): TargetGroup | null {
  const port = m.STATS_PORT ?? DEFAULT_STATS_PORT;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return null;
  const labels: Record<string, string> = { __metrics_path__: PROXY_METRICS_PATH };
  for (const [k, v] of Object.entries(m.LABELS)) {
    const name = sanitizeLabelName(k);
    if (name === '' || name.startsWith('__') || RESERVED.has(name)) continue;
    labels[name] = v;
  }
  labels['namespace'] = m.NAMESPACE;
  labels['pod'] = m.NAME;
  labels['workload'] = m.WORKLOAD_NAME;
  labels['proxy_type'] = m.type;
  return { targets: [target(m.INSTANCE_IP, port)], labels };
}

/**
 * The full SD answer: one group per proxy (sorted by address, duplicates by address dropped)
 * and the control plane last, at the address its HTTP server listens on.
 */
export function prometheusTargets(proxies: Iterable<ProxyMetadata>, controlPlane: { host: string; port: number }): TargetGroup[] {
  const byTarget = new Map<string, TargetGroup>();
  for (const m of proxies) {
    const g = proxyTarget(m);
    if (g && !byTarget.has(g.targets[0] as string)) byTarget.set(g.targets[0] as string, g);
  }
  const groups = [...byTarget.values()].sort((a, b) => (a.targets[0] as string).localeCompare(b.targets[0] as string));
  groups.push({
    targets: [target(controlPlane.host, controlPlane.port)],
    labels: { __metrics_path__: '/metrics', app: 'weft-control-plane', component: 'control-plane' },
  });
  return groups;
}
