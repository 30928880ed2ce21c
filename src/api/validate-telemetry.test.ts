import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

test('Telemetry: access logging, metric overrides and tracing are read (v1 and v1alpha1)', () => {
  const t = parseValid(
    'Telemetry',
    withSpec(
      'Telemetry',
      `
      selector:
        matchLabels: {app: order}
      accessLogging:
      - providers: [{name: envoy}]
        filter: {expression: "response.code >= 400"}
        match: {mode: SERVER}
      - disabled: true
      metrics:
      - providers: [{name: prometheus}]
        overrides:
        - match: {metric: REQUEST_COUNT, mode: CLIENT}
          disabled: true
        - tagOverrides:
            response_flags: {operation: REMOVE}
            tier: {value: "request.headers['x-tier']"}
      tracing:
      - randomSamplingPercentage: 12.5
        customTags:
          env: {literal: {value: prod}}
      `,
    ),
  );
  assert.deepEqual(t.spec.selector, { matchLabels: { app: 'order' } });
  assert.deepEqual(t.spec.accessLogging, [
    { providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' }, match: { mode: 'SERVER' } },
    { providers: [], disabled: true },
  ]);
  assert.deepEqual(t.spec.metrics[0]?.overrides, [
    { match: { metric: 'REQUEST_COUNT', mode: 'CLIENT' }, disabled: true, tagOverrides: {} },
    { tagOverrides: { response_flags: { operation: 'REMOVE' }, tier: { operation: 'UPSERT', value: "request.headers['x-tier']" } } },
  ]);
  assert.equal(t.spec.tracing[0]?.randomSamplingPercentage, 12.5);
  const alpha = parse('apiVersion: telemetry.istio.io/v1alpha1\nkind: Telemetry\nmetadata: {name: a}\nspec: {accessLogging: [{providers: [{name: envoy}]}]}\n');
  assert.deepEqual(alpha.problems, []);
});

test('Telemetry: errors name the field path', () => {
  assertProblem(rejected('Telemetry', 'targetRef: {kind: Gateway, name: gw}'), 'spec.targetRef', 'not supported');
  assertProblem(rejected('Telemetry', 'targetRefs: [{kind: Gateway, name: gw}]'), 'spec.targetRefs', 'selector');
  assertProblem(rejected('Telemetry', 'accessLogging: [{filter: {expression: "request.bogus == 1"}}]'), 'spec.accessLogging[0].filter.expression', 'unknown attribute request.bogus');
  assertProblem(rejected('Telemetry', 'accessLogging: [{match: {mode: BOTH}}]'), 'spec.accessLogging[0].match.mode', 'CLIENT_AND_SERVER');
  assertProblem(rejected('Telemetry', 'metrics: [{overrides: [{match: {metric: REQUEST_COUNTS}}]}]'), 'spec.metrics[0].overrides[0].match.metric', 'REQUEST_COUNT');
  assertProblem(rejected('Telemetry', 'metrics: [{overrides: [{tagOverrides: {x: {operation: UPSERT}}}]}]'), 'spec.metrics[0].overrides[0].tagOverrides.x.value', 'required for UPSERT');
  assertProblem(rejected('Telemetry', 'metrics: [{overrides: [{tagOverrides: {x: {operation: REMOVE, value: "1"}}}]}]'), 'tagOverrides.x.value', 'REMOVE takes no value');
  assertProblem(rejected('Telemetry', 'metrics: [{overrides: [{tagOverrides: {x: {value: "now()"}}}]}]'), 'tagOverrides.x.value', 'function now() is not supported');
  assertProblem(rejected('Telemetry', 'metrics: [{overrides: [{tagOverrides: {"bad-name": {operation: REMOVE}}}]}]'), 'Prometheus label names');
  assertProblem(rejected('Telemetry', 'tracing: [{randomSamplingPercentage: 150}]'), 'spec.tracing[0].randomSamplingPercentage', '0..100');
  assertProblem(rejected('Telemetry', 'selector: {labels: {app: x}}'), 'spec.selector.labels', 'unknown field');
  assertProblem(rejected('Telemetry', 'accesLogging: []'), 'spec.accesLogging', 'accessLogging');
});

test('Telemetry: accepted but unimplemented settings are warnings', () => {
  const r = parse(withSpec('Telemetry', 'metrics: [{providers: [{name: stackdriver}], reportingInterval: 10s, overrides: [{match: {metric: GRPC_REQUEST_MESSAGES}}, {match: {customMetric: my_metric}}]}]'));
  assert.equal(r.resources.length, 1);
  assertProblem(r.problems, 'warning spec.metrics[0].providers[0].name', 'prometheus');
  assertProblem(r.problems, 'warning spec.metrics[0].reportingInterval');
  assertProblem(r.problems, 'warning spec.metrics[0].overrides[0].match.metric', 'GRPC_REQUEST_MESSAGES');
  assertProblem(r.problems, 'warning spec.metrics[0].overrides[1].match.customMetric', 'my_metric');
});

test('MeshConfig telemetry fields: access log file, encoding, format and providers are validated', () => {
  const mc = parseValid(
    'MeshConfig',
    withSpec(
      'MeshConfig',
      `
      accessLogFile: /dev/stdout
      accessLogEncoding: JSON
      accessLogFormat: '{"code": "%RESPONSE_CODE%"}'
      extensionProviders:
      - name: file
        envoyFileAccessLog: {path: /tmp/a.log, logFormat: {text: "%RESPONSE_CODE%"}}
      - name: prom
        prometheus: {}
      defaultProviders: {accessLogging: [file]}
      `,
    ),
  );
  assert.equal(mc.spec.accessLogEncoding, 'JSON');
  assert.deepEqual(mc.spec.extensionProviders?.[0], { name: 'file', envoyFileAccessLog: { path: '/tmp/a.log', logFormat: { text: '%RESPONSE_CODE%' } } });
  assert.deepEqual(mc.spec.defaultProviders, { accessLogging: ['file'] });
  assertProblem(rejected('MeshConfig', 'accessLogFormat: "%BOGUS%"'), 'spec.accessLogFormat', 'unsupported operator %BOGUS%');
  assertProblem(rejected('MeshConfig', 'accessLogEncoding: JSON\naccessLogFormat: "not json"'), 'spec.accessLogFormat', 'JSON object');
  assertProblem(rejected('MeshConfig', 'accessLogEncoding: XML'), 'spec.accessLogEncoding', 'TEXT, JSON');
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: a, envoyFileAccessLog: {logFormat: {text: x}}}]'), 'spec.extensionProviders[0].envoyFileAccessLog.path', 'required');
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: a, envoyFileAccessLog: {path: /x, logFormat: {labels: {a: "%NOPE%"}}}}]'), 'spec.extensionProviders[0].envoyFileAccessLog.logFormat.labels', '%NOPE%');
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: a, envoyFileAccessLog: {path: /x}}, {name: a, prometheus: {}}]'), 'spec.extensionProviders[1].name', 'duplicate');
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: a}]'), 'spec.extensionProviders[0]', 'exactly one provider kind');
  const warn = parse(withSpec('MeshConfig', 'extensionProviders: [{name: d, datadog: {service: dd, port: 8126}}]'));
  assert.equal(warn.resources.length, 1);
  assertProblem(warn.problems, 'warning spec.extensionProviders[0].datadog');
});

test('MeshConfig tracing providers: zipkin and opentelemetry (OTLP/HTTP) shapes', () => {
  const mc = parseValid('MeshConfig', withSpec('MeshConfig', `
      extensionProviders:
      - {name: z, zipkin: {service: zipkin.obs, port: 9411}}
      - {name: o, opentelemetry: {service: otel.obs, port: 4318, http: {path: /v1/traces}}}
      defaultProviders: {tracing: [z]}
      `));
  assert.deepEqual(mc.spec.extensionProviders?.[0], { name: 'z', zipkin: { service: 'zipkin.obs', port: 9411 } });
  assert.deepEqual(mc.spec.extensionProviders?.[1], { name: 'o', opentelemetry: { service: 'otel.obs', port: 4318, http: { path: '/v1/traces' } } });
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: z, zipkin: {port: 9411}}]'), 'spec.extensionProviders[0].zipkin.service', 'required');
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: z, zipkin: {service: z, port: 0}}]'), 'spec.extensionProviders[0].zipkin.port');
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: z, zipkin: {service: z, port: 1, path: x}}]'), 'spec.extensionProviders[0].zipkin.path', 'start with');
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: o, opentelemetry: {service: o, port: 4317}}]'), 'spec.extensionProviders[0].opentelemetry', 'http is required');
  assertProblem(rejected('MeshConfig', 'extensionProviders: [{name: o, opentelemetry: {service: o, port: 4317, grpc: {}}}]'), 'spec.extensionProviders[0].opentelemetry.grpc', 'not supported');
  const warn = parse(withSpec('MeshConfig', 'extensionProviders: [{name: z, zipkin: {service: z, port: 9411, maxTagLength: 10}}]'));
  assert.equal(warn.resources.length, 1);
  assertProblem(warn.problems, 'warning spec.extensionProviders[0].zipkin.maxTagLength');
});
