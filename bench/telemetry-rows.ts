// The rows of the telemetry cost benchmark (./telemetry.ts): each a mesh-wide Telemetry resource
// that states metrics AND tracing explicitly (never relying on a default), and a check on a
// proxy's /config_dump that the row's config has arrived. Tracing exports OTLP/HTTP to the control
// plane's own collector (POST /v1/traces on its HTTP port), declared as docs/observability.md "The
// control plane as a collector" shows: a ServiceEntry for the control plane and an `opentelemetry`
// extension provider in MeshConfig. Pure: YAML text in, predicates out.

/** The benchmarked service: one instance (its server sidecar) in front of the upstream app. */
export const BENCH_WORKLOAD = `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: bench, namespace: default}
spec:
  service: bench
  serviceAccount: bench
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
`;

/** The extension provider name the tracing rows use. */
export const COLLECTOR_PROVIDER = 'weft-collector';
export const COLLECTOR_HOST = 'weft-control-plane.istio-system.svc.cluster.local';

/** MeshConfig (the provider, no default providers) and the ServiceEntry for the control plane. */
export function collectorConfig(controlPlaneIp: string, httpPort: number): string {
  return `apiVersion: weft.dev/v1alpha1
kind: MeshConfig
metadata: {name: mesh, namespace: istio-system}
spec:
  extensionProviders:
  - name: ${COLLECTOR_PROVIDER}
    opentelemetry:
      service: ${COLLECTOR_HOST}
      port: ${httpPort}
      http: {path: /v1/traces}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: weft-control-plane, namespace: istio-system}
spec:
  hosts: [${COLLECTOR_HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${httpPort}, name: http, protocol: HTTP}]
  endpoints: [{address: ${controlPlaneIp}}]
`;
}

export interface RowSpec {
  /** Short label for the table. */
  label: string;
  metrics: boolean;
  /** Sampling percent, or undefined for tracing off (disableSpanReporting). */
  tracingPercent: number | undefined;
}

/** Rows 1–5: none, metrics, metrics + 1 %, metrics + 100 %, none again (the noise). */
export const ROWS: readonly RowSpec[] = [
  { label: 'no telemetry (metrics off, tracing off)', metrics: false, tracingPercent: undefined },
  { label: 'metrics on, tracing off', metrics: true, tracingPercent: undefined },
  { label: 'metrics on, tracing 1 %', metrics: true, tracingPercent: 1 },
  { label: 'metrics on, tracing 100 %', metrics: true, tracingPercent: 100 },
  { label: 'no telemetry again (repeat of row 1)', metrics: false, tracingPercent: undefined },
];

/** The mesh-wide Telemetry for a row, metrics and tracing both explicit. */
export function rowTelemetry(row: RowSpec): string {
  const tracing =
    row.tracingPercent === undefined
      ? '  - disableSpanReporting: true\n'
      : `  - providers: [{name: ${COLLECTOR_PROVIDER}}]\n    randomSamplingPercentage: ${row.tracingPercent}\n    disableSpanReporting: false\n`;
  return `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  metrics:
  - providers: [{name: prometheus}]
    overrides:
    - match: {metric: ALL_METRICS, mode: CLIENT_AND_SERVER}
      disabled: ${row.metrics ? 'false' : 'true'}
  tracing:
${tracing}`;
}

/**
 * Whether a proxy's listeners (the JSON text of /config_dump's `listeners`) carry the row's
 * config: a stats filter dropping metrics exactly when metrics are off, and a tracing block with
 * the row's sampling and our collector exactly when tracing is on.
 */
export function listenersMatchRow(listenersJson: string, row: RowSpec): boolean {
  const drops = listenersJson.includes('"drop":true');
  if (drops === row.metrics) return false;
  const samplings = [...listenersJson.matchAll(/"random_sampling":\{"value":([0-9.]+)\}/g)].map((m) => Number(m[1]));
  if (row.tracingPercent === undefined) return samplings.length === 0 && !listenersJson.includes('"tracing"');
  return samplings.length > 0 && samplings.every((v) => v === row.tracingPercent) && listenersJson.includes(COLLECTOR_HOST);
}
