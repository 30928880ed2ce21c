// A finished span, and its two wire forms: Zipkin v2 JSON (POST /api/v2/spans) and OTLP/HTTP
// JSON (POST /v1/traces, ExportTraceServiceRequest in protobuf's JSON mapping: hex ids,
// nanosecond timestamps as strings, enum kinds as numbers).

export interface FinishedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 'CLIENT' | 'SERVER';
  /** Microseconds since the epoch. */
  startUs: number;
  durationUs: number;
  /** Istio's tags (component, node_id, http.*, upstream_cluster, response_flags, ...). */
  tags: Record<string, string>;
  serviceName: string;
  /** 5xx or a response flag: Zipkin's `error` tag, OTLP status ERROR. */
  error: boolean;
}

export function zipkinJson(spans: readonly FinishedSpan[]): string {
  return JSON.stringify(spans.map((s) => ({
    traceId: s.traceId,
    id: s.spanId,
    ...(s.parentSpanId ? { parentId: s.parentSpanId } : {}),
    name: s.name,
    kind: s.kind,
    timestamp: s.startUs,
    duration: Math.max(1, s.durationUs),
    localEndpoint: { serviceName: s.serviceName },
    tags: s.error ? { ...s.tags, error: 'true' } : s.tags,
  })));
}

const OTLP_KIND = { SERVER: 2, CLIENT: 3 } as const;
const nanos = (us: number): string => `${BigInt(Math.round(us)) * 1000n}`;

export function otlpJson(spans: readonly FinishedSpan[]): string {
  const byService = new Map<string, FinishedSpan[]>();
  for (const s of spans) {
    const l = byService.get(s.serviceName);
    if (l) l.push(s);
    else byService.set(s.serviceName, [s]);
  }
  return JSON.stringify({
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        scope: { name: 'weft-proxy' },
        spans: list.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          kind: OTLP_KIND[s.kind],
          startTimeUnixNano: nanos(s.startUs),
          endTimeUnixNano: nanos(s.startUs + Math.max(1, s.durationUs)),
          attributes: Object.entries(s.tags).map(([key, v]) => ({ key, value: { stringValue: v } })),
          status: s.error ? { code: 2 } : {},
        })),
      }],
    })),
  });
}
