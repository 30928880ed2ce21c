// HCM `tracing` (envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing)
// (+ the HCM's request_id_extension, ./request-id.ts) → TracingConfig. Implemented: random_sampling,
// custom_tags (./custom-tags.ts) and a Zipkin (HTTP_JSON) or
// OpenTelemetry (http_service, OTLP/HTTP JSON) provider. Anything else is rejected with its field path (NACK).
import { ConfigRejection, bool, num, obj, only, optStr, str, type J } from '../../config/check.js';
import { decodeCustomTags } from './custom-tags.js';
import { decodeRequestIdExtension } from './request-id.js';
import { OTEL_CONFIG_TYPE_URL, OTEL_TRACER_NAME, ZIPKIN_CONFIG_TYPE_URL, ZIPKIN_TRACER_NAME, type TraceProvider, type TracingConfig } from './types.js';

function percent(v: unknown, path: string): number {
  const p = obj(v, path);
  only(p, path, ['value']);
  const n = p.value === undefined ? 0 : num(p.value, `${path}.value`);
  if (n < 0 || n > 100) throw new ConfigRejection(`${path}.value`, `a percentage in [0, 100], got ${n}`);
  return n;
}

function zipkin(tc: J, path: string): TraceProvider {
  only(tc, path, ['@type', 'collector_cluster', 'collector_endpoint', 'collector_endpoint_version', 'collector_hostname', 'trace_id_128bit', 'shared_span_context']);
  if (tc.collector_endpoint_version !== 'HTTP_JSON') {
    throw new ConfigRejection(`${path}.collector_endpoint_version`, `only HTTP_JSON is supported, got ${JSON.stringify(tc.collector_endpoint_version)}`);
  }
  if (!bool(tc.trace_id_128bit, `${path}.trace_id_128bit`, false)) throw new ConfigRejection(`${path}.trace_id_128bit`, 'only 128-bit trace ids (true) are supported');
  // shared_span_context true (Envoy's default) means client and server span share an id; we always make separate spans.
  if (tc.shared_span_context !== false) throw new ConfigRejection(`${path}.shared_span_context`, 'only false is supported (one span per side)');
  const authority = optStr(tc.collector_hostname, `${path}.collector_hostname`);
  return {
    format: 'zipkin',
    cluster: str(tc.collector_cluster, `${path}.collector_cluster`),
    path: str(tc.collector_endpoint, `${path}.collector_endpoint`),
    ...(authority ? { authority } : {}),
  };
}

function otel(tc: J, path: string): TraceProvider {
  only(tc, path, ['@type', 'http_service', 'service_name']);
  const hs = obj(tc.http_service, `${path}.http_service`);
  only(hs, `${path}.http_service`, ['http_uri']);
  const uriPath = `${path}.http_service.http_uri`;
  const u = obj(hs.http_uri, uriPath);
  only(u, uriPath, ['uri', 'cluster', 'timeout']);
  const m = /^https?:\/\/([^/]+)(\/.*)?$/.exec(str(u.uri, `${uriPath}.uri`));
  if (!m) throw new ConfigRejection(`${uriPath}.uri`, 'expected an http:// URI');
  const serviceName = optStr(tc.service_name, `${path}.service_name`);
  return {
    format: 'otlp',
    cluster: str(u.cluster, `${uriPath}.cluster`),
    path: m[2] ?? '/v1/traces',
    authority: m[1]!,
    ...(serviceName ? { serviceName } : {}),
  };
}

/** `requestIdExtension`: the HCM's request_id_extension (./request-id.ts), checked even without tracing. */
export function decodeTracing(v: unknown, path: string, requestIdExtension?: { value: unknown; path: string }): TracingConfig | undefined {
  const useRequestId = requestIdExtension ? decodeRequestIdExtension(requestIdExtension.value, requestIdExtension.path) : true;
  if (v === undefined) return undefined;
  const t = obj(v, path);
  only(t, path, ['random_sampling', 'provider', 'custom_tags']);
  const samplingPercent = t.random_sampling === undefined ? 100 : percent(t.random_sampling, `${path}.random_sampling`);
  const pp = `${path}.provider`;
  const p = obj(t.provider, pp);
  only(p, pp, ['name', 'typed_config']);
  const tc = obj(p.typed_config, `${pp}.typed_config`);
  const type = tc['@type'];
  let provider: TraceProvider;
  if (p.name === ZIPKIN_TRACER_NAME && type === ZIPKIN_CONFIG_TYPE_URL) provider = zipkin(tc, `${pp}.typed_config`);
  else if (p.name === OTEL_TRACER_NAME && type === OTEL_CONFIG_TYPE_URL) provider = otel(tc, `${pp}.typed_config`);
  else throw new ConfigRejection(pp, `tracer ${String(p.name)} (${String(type)}) is not supported; only ${ZIPKIN_TRACER_NAME} and ${OTEL_TRACER_NAME}`);
  const customTags = decodeCustomTags(t.custom_tags, `${path}.custom_tags`);
  return { samplingPercent, provider, ...(customTags.length > 0 ? { customTags } : {}), ...(useRequestId ? {} : { useRequestIdForSampling: false }) };
}
