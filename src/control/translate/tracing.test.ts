import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources, proxyOf, sidecarMetadata, snapshotOf } from './golden.js';
import { resolveTracing, withTracing } from './tracing.js';
import { sidecarListeners } from './listeners.js';
import type { Json } from './clusters.js';
import { decodeListener } from '../../proxy/config/decode-listener.js';
import { encodeResource, decodeResource } from '../../xds/json-codec.js';
import { TYPE_URL } from '../../xds/protos.js';

const proxy = proxyOf(sidecarMetadata({ NAMESPACE: 'shop', WORKLOAD_NAME: 'order', LABELS: { app: 'order', version: 'v1' } }));
const tm = (name: string, ns: string, spec: string): string =>
  `apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;
const MESH = `apiVersion: weft.dev/v1alpha1\nkind: MeshConfig\nmetadata: {name: m, namespace: istio-system}\nspec:
  extensionProviders:
  - {name: zk, zipkin: {service: zipkin.obs, port: 9411}}
  - {name: otel, opentelemetry: {service: otel.obs, port: 4318, http: {path: /otlp/v1/traces}}}
  - {name: file, envoyFileAccessLog: {path: /a.log}}
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: order, namespace: shop, labels: {app: order}}
spec: {service: order, serviceAccount: order, ports: [{name: http, containerPort: 8080, servicePort: 80}], command: [node, order.js]}
---
`;
const snap = (yaml: string) => snapshotOf(loadResources(yaml.replace(/---\n$/, '')));

test('no tracing configured: nothing resolved and the same listeners come back', () => {
  const s = snap(MESH + tm('t', 'istio-system', '  accessLogging: [{providers: [{name: file}]}]'));
  assert.deepEqual(resolveTracing(s, proxy), {});
  const ls = sidecarListeners(s, proxy);
  assert.equal(withTracing(s, proxy, ls), ls);
});

test('levels: default 1%, providers inherited, workload overrides per mode, disableSpanReporting', () => {
  const base = MESH + tm('mesh', 'istio-system', '  tracing: [{providers: [{name: zk}]}]');
  assert.deepEqual(resolveTracing(snap(base), proxy), {
    CLIENT: { providers: ['zk'], sampling: 1, disabled: false },
    SERVER: { providers: ['zk'], sampling: 1, disabled: false },
  });
  const ns = base + tm('ns', 'shop', '  tracing: [{randomSamplingPercentage: 50}]');
  assert.equal(resolveTracing(snap(ns), proxy).SERVER?.sampling, 50);
  const wl = ns + tm('wl', 'shop', '  selector: {matchLabels: {app: order}}\n  tracing: [{match: {mode: CLIENT}, disableSpanReporting: true}]');
  const r = resolveTracing(snap(wl), proxy);
  assert.equal(r.CLIENT, undefined);
  assert.deepEqual(r.SERVER, { providers: ['zk'], sampling: 50, disabled: false });
  // a provider that is not a tracer (or unknown) gives no tracing block
  const fileOnly = MESH + tm('mesh', 'istio-system', '  tracing: [{providers: [{name: file}]}]');
  const s = snap(fileOnly);
  const ls = sidecarListeners(s, proxy);
  assert.equal(withTracing(s, proxy, ls), ls);
});

test('emitted tracing encodes as protobuf and the proxy decodes it (OTLP path and authority kept)', () => {
  const s = snap(MESH + tm('mesh', 'istio-system', '  tracing: [{providers: [{name: otel}], randomSamplingPercentage: 25}]'));
  const ls = withTracing(s, proxy, sidecarListeners(s, proxy));
  let seen = 0;
  for (const l of ls) {
    const back = decodeResource(TYPE_URL.listener, encodeResource(TYPE_URL.listener, l)) as Json;
    const cfg = decodeListener(back);
    if (cfg.tcpProxy) continue;
    seen++;
    assert.deepEqual(cfg.hcm.tracing, {
      samplingPercent: 25,
      provider: { format: 'otlp', cluster: 'outbound|4318||otel.obs', path: '/otlp/v1/traces', authority: 'otel.obs:4318' },
    });
  }
  assert.ok(seen >= 2, 'inbound and outbound HCMs');
});
