import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeResources } from './analyze.js';
import { parseYamlText } from './parse.js';

test('analyze: Telemetry providers that log nothing, and a second selector-less Telemetry in a namespace', () => {
  const { resources, errors } = parseYamlText(
    `apiVersion: weft.dev/v1alpha1
kind: MeshConfig
metadata: {name: m, namespace: istio-system}
spec:
  extensionProviders: [{name: file, envoyFileAccessLog: {path: /a.log}}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: a, namespace: shop}
spec:
  accessLogging: [{providers: [{name: envoy}, {name: file}, {name: otel}]}]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: b, namespace: shop}
spec: {}
`,
    'x.yaml',
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(
    analyzeResources(resources).map((e) => `${e.namespace}/${e.name} ${e.path}: ${e.message}`),
    [
      'shop/a spec.accessLogging[0].providers[2].name: access-log provider "otel" is neither "envoy" nor a MeshConfig extensionProviders entry with envoyFileAccessLog: it logs nothing',
      'shop/b spec: Telemetry shop/a also has no selector: only the first by name (a) applies',
    ],
  );
});
