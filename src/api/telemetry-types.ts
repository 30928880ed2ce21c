// Istio's Telemetry API (telemetry.istio.io/v1 and v1alpha1) and the meshConfig telemetry fields,
// as validated models (./validate-telemetry.ts, ./validate-mesh-telemetry.ts).

export const TELEMETRY_GROUP = 'telemetry.istio.io';

export type WorkloadMode = 'CLIENT' | 'SERVER' | 'CLIENT_AND_SERVER';

export const ISTIO_METRICS = [
  'ALL_METRICS',
  'REQUEST_COUNT',
  'REQUEST_DURATION',
  'REQUEST_SIZE',
  'RESPONSE_SIZE',
  'TCP_OPENED_CONNECTIONS',
  'TCP_CLOSED_CONNECTIONS',
  'TCP_SENT_BYTES',
  'TCP_RECEIVED_BYTES',
  'GRPC_REQUEST_MESSAGES',
  'GRPC_RESPONSE_MESSAGES',
] as const;
export type IstioMetricName = (typeof ISTIO_METRICS)[number];

export interface ProviderRef {
  name: string;
}

export interface AccessLogging {
  /** Empty: the providers inherited from the parent level, or meshConfig.defaultProviders.accessLogging. */
  providers: ProviderRef[];
  disabled?: boolean;
  /** A CEL expression (the subset in src/cel/cel.ts). */
  filter?: { expression: string };
  match?: { mode: WorkloadMode };
}

export interface TagOverride {
  operation: 'UPSERT' | 'REMOVE';
  /** CEL expression for UPSERT. */
  value?: string;
}

export interface MetricSelector {
  /** Absent (with no customMetric): ALL_METRICS. */
  metric?: IstioMetricName;
  /** A metric by its Istio name without the "istio_" prefix, e.g. "requests_total". */
  customMetric?: string;
  mode: WorkloadMode;
}

export interface MetricsOverrides {
  match?: MetricSelector;
  disabled?: boolean;
  tagOverrides: Record<string, TagOverride>;
}

export interface Metrics {
  providers: ProviderRef[];
  overrides: MetricsOverrides[];
}

/** A Telemetry tracing custom tag: exactly one of a literal, an environment variable of the proxy, or a request header. */
export type CustomTag =
  | { literal: { value: string } }
  | { environment: { name: string; defaultValue?: string } }
  | { header: { name: string; defaultValue?: string } };

/** Telemetry tracing (src/control/translate/tracing.ts). */
export interface Tracing {
  providers: ProviderRef[];
  randomSamplingPercentage?: number;
  disableSpanReporting?: boolean;
  /** Tag name → value source; a level that sets any replaces the inherited ones (Istio's shallow merge). */
  customTags: Record<string, CustomTag>;
  match?: { mode: WorkloadMode };
  useRequestIdForTraceSampling?: boolean;
}

export interface TelemetrySpec {
  /** Workloads in the resource's namespace by label; absent: the whole namespace (root namespace: the mesh). */
  selector?: { matchLabels: Record<string, string> };
  accessLogging: AccessLogging[];
  metrics: Metrics[];
  tracing: Tracing[];
}

// ---------------------------------------------------------------- meshConfig

export interface EnvoyFileAccessLogProvider {
  path: string;
  /** Absent: meshConfig's accessLogEncoding/accessLogFormat defaults (Istio's default TEXT format). */
  logFormat?: { text?: string; labels?: Record<string, unknown> };
}

export interface ExtensionProvider {
  name: string;
  /** Set for envoyFileAccessLog; other provider kinds are accepted with a warning and unused. */
  envoyFileAccessLog?: EnvoyFileAccessLogProvider;
  /** Zipkin v2 JSON collector (tracing): POST `path` (default /api/v2/spans) on `service`:`port`. */
  zipkin?: { service: string; port: number; path?: string };
  /** OpenTelemetry collector (tracing), OTLP/HTTP JSON only: POST `http.path` (default /v1/traces). */
  opentelemetry?: { service: string; port: number; http: { path?: string } };
}

export interface DefaultProviders {
  accessLogging?: string[];
  metrics?: string[];
  tracing?: string[];
}
