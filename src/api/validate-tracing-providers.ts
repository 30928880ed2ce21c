// meshConfig.extensionProviders[].zipkin / .opentelemetry (Istio's shapes) for tracing.
// Implemented: service, port, zipkin path, opentelemetry http.path (OTLP/HTTP JSON export).
// Istio's other fields are warned about and ignored; OpenTelemetry over gRPC is an error (the
// proxy exports over HTTP only).
import type { ExtensionProvider } from './telemetry-types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';

const ZIPKIN: FieldSet = { supported: ['service', 'port', 'path'], notYet: ['maxTagLength', 'enable64bitTraceId', 'traceContextOption', 'headers', 'timeout'] };
const OTEL: FieldSet = { supported: ['service', 'port', 'http', 'grpc'], notYet: ['maxTagLength', 'resourceDetectors', 'dynatraceSampler'] };
const OTEL_HTTP: FieldSet = { supported: ['path'], notYet: ['timeout', 'headers'] };

function path(f: Field): string | undefined {
  const p = f.string();
  if (p !== undefined && !p.startsWith('/')) f.error('must start with "/"');
  return p;
}

export function readTracingProviders(f: Field): Pick<ExtensionProvider, 'zipkin' | 'opentelemetry'> {
  const zipkin = f.get('zipkin').ifPresent((z) => {
    z.object(ZIPKIN);
    const service = z.get('service').string({ required: true }) ?? '';
    const port = z.get('port').int({ required: true, min: 1, max: 65535 }) ?? 0;
    return compact({ service, port, path: path(z.get('path')) });
  });
  const opentelemetry = f.get('opentelemetry').ifPresent((o) => {
    o.object(OTEL);
    const service = o.get('service').string({ required: true }) ?? '';
    const port = o.get('port').int({ required: true, min: 1, max: 65535 }) ?? 0;
    if (o.get('grpc').present) o.get('grpc').error('OTLP over gRPC is not supported: set http (OTLP/HTTP JSON)');
    const hf = o.get('http');
    if (!hf.present) o.error('http is required (the proxy exports OTLP/HTTP JSON, not gRPC)');
    const http = hf.ifPresent((h) => {
      h.object(OTEL_HTTP);
      return compact({ path: path(h.get('path')) });
    }) ?? {};
    return { service, port, http };
  });
  return compact({ zipkin, opentelemetry });
}
