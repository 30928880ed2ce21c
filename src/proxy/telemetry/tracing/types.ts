// The HCM `tracing` block as the proxy runs it (decoded by ./decode.ts).
import type { SpanCustomTag } from './custom-tags.js';

export const ZIPKIN_TRACER_NAME = 'envoy.tracers.zipkin';
export const ZIPKIN_CONFIG_TYPE_URL = 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig';
export const OTEL_TRACER_NAME = 'envoy.tracers.opentelemetry';
export const OTEL_CONFIG_TYPE_URL = 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig';

/** Where spans go: a collector reached through a cluster the proxy knows (a host is picked per batch). */
export interface TraceProvider {
  /** zipkin: Zipkin v2 JSON (collector_endpoint_version HTTP_JSON); otlp: OTLP/HTTP JSON. */
  format: 'zipkin' | 'otlp';
  cluster: string;
  /** Request path on the collector, e.g. /api/v2/spans or /v1/traces. */
  path: string;
  /** Host header; absent: the picked host's address. */
  authority?: string;
  /** Service name on spans; absent: the proxy's `<workload>.<namespace>`. */
  serviceName?: string;
}

export interface TracingConfig {
  /** random_sampling: percent of requests without an upstream decision that are sampled (Envoy's default 100). */
  samplingPercent: number;
  provider: TraceProvider;
  /** custom_tags (./custom-tags.ts); absent: none. */
  customTags?: SpanCustomTag[];
  /** false: random sampling ignores x-request-id (request_id_extension use_request_id_for_trace_sampling: false); absent: true (./request-id.ts). */
  useRequestIdForSampling?: false;
}
