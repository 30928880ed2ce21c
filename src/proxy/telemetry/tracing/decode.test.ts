import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTracing } from './decode.js';
import { rejects } from '../../config/decode-fixtures.js';
import { OTEL_CONFIG_TYPE_URL, OTEL_TRACER_NAME, ZIPKIN_CONFIG_TYPE_URL, ZIPKIN_TRACER_NAME } from './types.js';

const zipkin = (extra: Record<string, unknown> = {}) => ({
  name: ZIPKIN_TRACER_NAME,
  typed_config: {
    '@type': ZIPKIN_CONFIG_TYPE_URL, collector_cluster: 'outbound|9411||zipkin.istio-system.svc.cluster.local', collector_endpoint: '/api/v2/spans',
    collector_endpoint_version: 'HTTP_JSON', trace_id_128bit: true, shared_span_context: false, ...extra,
  },
});
const otel = (uri = 'http://otel.obs:4318/v1/traces') => ({
  name: OTEL_TRACER_NAME,
  typed_config: { '@type': OTEL_CONFIG_TYPE_URL, service_name: 'svc', http_service: { http_uri: { uri, cluster: 'outbound|4318||otel.obs', timeout: '5s' } } },
});

test('tracing: absent → undefined; zipkin and opentelemetry providers; random_sampling', () => {
  assert.equal(decodeTracing(undefined, 't'), undefined);
  assert.deepEqual(decodeTracing({ random_sampling: { value: 2.5 }, provider: zipkin({ collector_hostname: 'zipkin:9411' }) }, 't'), {
    samplingPercent: 2.5,
    provider: { format: 'zipkin', cluster: 'outbound|9411||zipkin.istio-system.svc.cluster.local', path: '/api/v2/spans', authority: 'zipkin:9411' },
  });
  assert.deepEqual(decodeTracing({ provider: otel() }, 't'), {
    samplingPercent: 100,
    provider: { format: 'otlp', cluster: 'outbound|4318||otel.obs', path: '/v1/traces', authority: 'otel.obs:4318', serviceName: 'svc' },
  });
  assert.equal(decodeTracing({ random_sampling: {}, provider: otel() }, 't')?.samplingPercent, 0);
});

test('tracing: what the proxy does not implement is refused with its field path', () => {
  rejects(() => decodeTracing({ client_sampling: { value: 1 }, provider: otel() }, 't'), 't.client_sampling');
  rejects(() => decodeTracing({ custom_tags: [{ tag: 'a', metadata: { kind: {} } }], provider: otel() }, 't'), 't.custom_tags[0].metadata');
  rejects(() => decodeTracing({ custom_tags: [{ tag: 'a' }], provider: otel() }, 't'), 't.custom_tags[0]', /exactly one/);
  rejects(() => decodeTracing({ custom_tags: [{ tag: 'a', literal: { value: 'x' }, request_header: { name: 'h' } }], provider: otel() }, 't'), 't.custom_tags[0]', /exactly one/);
  rejects(() => decodeTracing({ custom_tags: [{ tag: '', literal: { value: 'x' } }], provider: otel() }, 't'), 't.custom_tags[0].tag');
  rejects(() => decodeTracing({ custom_tags: [{ tag: 'a', request_header: { name: 'h', remove: true } }], provider: otel() }, 't'), 't.custom_tags[0].request_header.remove');
  rejects(() => decodeTracing({ custom_tags: {}, provider: otel() }, 't'), 't.custom_tags');
  rejects(() => decodeTracing({ random_sampling: { value: 101 }, provider: otel() }, 't'), 't.random_sampling.value');
  rejects(() => decodeTracing({}, 't'), 't.provider');
  rejects(() => decodeTracing({ provider: { name: 'envoy.tracers.datadog', typed_config: { '@type': 'x' } } }, 't'), 't.provider', /not supported/);
  rejects(() => decodeTracing({ provider: zipkin({ collector_endpoint_version: 'HTTP_PROTO' }) }, 't'), 't.provider.typed_config.collector_endpoint_version');
  rejects(() => decodeTracing({ provider: zipkin({ shared_span_context: undefined }) }, 't'), 't.provider.typed_config.shared_span_context');
  rejects(() => decodeTracing({ provider: zipkin({ split_spans_for_request: true }) }, 't'), 't.provider.typed_config.split_spans_for_request');
  const o = otel();
  rejects(() => decodeTracing({ provider: { ...o, typed_config: { ...o.typed_config, grpc_service: {} } } }, 't'), 't.provider.typed_config.grpc_service');
  rejects(() => decodeTracing({ provider: otel('ftp://x/y') }, 't'), 't.provider.typed_config.http_service.http_uri.uri');
});

test('request_id_extension: absent → request-id sampling (Envoy default); false kept; pack_trace_reason true and other types refused', () => {
  const rid = (tc: Record<string, unknown>) => ({ value: { typed_config: { '@type': 'type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig', ...tc } }, path: 'h.request_id_extension' });
  assert.equal(decodeTracing({ provider: otel() }, 't', { value: undefined, path: 'h.request_id_extension' })?.useRequestIdForSampling, undefined);
  assert.equal(decodeTracing({ provider: otel() }, 't', rid({ use_request_id_for_trace_sampling: false }))?.useRequestIdForSampling, false);
  assert.equal(decodeTracing({ provider: otel() }, 't', rid({ use_request_id_for_trace_sampling: true, pack_trace_reason: false }))?.useRequestIdForSampling, undefined);
  rejects(() => decodeTracing({ provider: otel() }, 't', rid({ pack_trace_reason: true })), 'h.request_id_extension.typed_config.pack_trace_reason');
  rejects(() => decodeTracing(undefined, 't', rid({ extra: 1 })), 'h.request_id_extension.typed_config.extra');
  rejects(() => decodeTracing(undefined, 't', { value: { typed_config: { '@type': 'x' } }, path: 'h.request_id_extension' }), 'h.request_id_extension.typed_config');
});
