import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

test('MeshConfig enableTracing and defaultConfig.tracing.sampling are read; other ProxyConfig fields warn', () => {
  const mc = parseValid('MeshConfig', withSpec('MeshConfig', 'enableTracing: false\ndefaultConfig: {tracing: {sampling: 2.5}}'));
  assert.equal(mc.spec.enableTracing, false);
  assert.deepEqual(mc.spec.defaultConfig, { tracing: { sampling: 2.5 } });
  assertProblem(rejected('MeshConfig', 'enableTracing: "no"'), 'spec.enableTracing');
  assertProblem(rejected('MeshConfig', 'defaultConfig: {tracing: {sampling: 101}}'), 'spec.defaultConfig.tracing.sampling', '0..100');
  assertProblem(rejected('MeshConfig', 'defaultConfig: {tracing: {sampling: "1%"}}'), 'spec.defaultConfig.tracing.sampling', '0..100');
  assertProblem(rejected('MeshConfig', 'defaultConfig: {tracng: {}}'), 'spec.defaultConfig.tracng', 'tracing');
  const warn = parse(withSpec('MeshConfig', 'defaultConfig: {discoveryAddress: "istiod:15012", tracing: {sampling: 1, zipkin: {address: "z:9411"}}}'));
  assert.equal(warn.resources.length, 1);
  assertProblem(warn.problems, 'warning spec.defaultConfig.discoveryAddress');
  assertProblem(warn.problems, 'warning spec.defaultConfig.tracing.zipkin');
});

test('Telemetry customTags: literal, environment, header read; shapes checked with field paths', () => {
  const t = parseValid('Telemetry', withSpec('Telemetry', `
      tracing:
      - customTags:
          a: {literal: {value: x}}
          b: {environment: {name: POD_NAME, defaultValue: unknown}}
          c: {header: {name: X-User}}
      `));
  assert.deepEqual(t.spec.tracing[0]?.customTags, {
    a: { literal: { value: 'x' } },
    b: { environment: { name: 'POD_NAME', defaultValue: 'unknown' } },
    c: { header: { name: 'x-user' } },
  });
  assertProblem(rejected('Telemetry', 'tracing: [{customTags: {a: {}}}]'), 'spec.tracing[0].customTags.a', 'exactly one');
  assertProblem(rejected('Telemetry', 'tracing: [{customTags: {a: {literal: {value: x}, header: {name: h}}}}]'), 'spec.tracing[0].customTags.a', 'exactly one');
  assertProblem(rejected('Telemetry', 'tracing: [{customTags: {a: {literal: {}}}}]'), 'spec.tracing[0].customTags.a.literal.value', 'required');
  assertProblem(rejected('Telemetry', 'tracing: [{customTags: {a: {header: {name: "bad name"}}}}]'), 'spec.tracing[0].customTags.a.header.name', 'HTTP header name');
  assertProblem(rejected('Telemetry', 'tracing: [{customTags: {a: {environment: {defaultValue: x}}}}]'), 'spec.tracing[0].customTags.a.environment.name', 'required');
  assertProblem(rejected('Telemetry', 'tracing: [{customTags: {a: {metadata: {kind: {}}}}}]'), 'spec.tracing[0].customTags.a.metadata', 'unknown field');
  const clean = parse(withSpec('Telemetry', 'tracing: [{customTags: {a: {literal: {value: x}}}}]'));
  assert.deepEqual(clean.problems, [], 'customTags is implemented: no warning');
});
