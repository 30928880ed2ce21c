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

const COLLECTOR = { host: '127.0.0.1', port: 15014 };
const snapC = (yaml: string, collector: { host?: string; port: number } | null = COLLECTOR) =>
  snapshotOf(loadResources(yaml.replace(/---\n$/, '')), 1, collector ?? undefined);

test('no tracing configured: both sides trace at 1% into the control plane (Istio default on)', () => {
  const yaml = MESH + tm('t', 'istio-system', '  accessLogging: [{providers: [{name: file}]}]');
  const st = { providers: [], sampling: 1, disabled: false, customTags: {}, useRequestId: true };
  assert.deepEqual(resolveTracing(snapC(yaml), proxy), { CLIENT: st, SERVER: st });
  const s = snapC(yaml);
  const ls = withTracing(s, proxy, sidecarListeners(s, proxy));
  const tracing = hcmTracingOf(ls);
  assert.ok(tracing.length >= 2, 'inbound and outbound HCMs');
  for (const t of tracing) {
    assert.deepEqual(t, {
      random_sampling: { value: 1 },
      provider: {
        name: 'envoy.tracers.opentelemetry',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
          http_service: { http_uri: { uri: 'http://127.0.0.1:15014/v1/traces', cluster: 'weft-telemetry', timeout: '5s' } },
        },
      },
    });
  }
  // Without a known control plane address there is nowhere to send spans: listeners unchanged.
  const none = snapC(yaml, null);
  const ls2 = sidecarListeners(none, proxy);
  assert.equal(withTracing(none, proxy, ls2), ls2);
});

test('enableTracing false: no tracing block at all; a Telemetry tracing entry still turns it on (as Istio)', () => {
  const off = MESH.replace('spec:\n', 'spec:\n  enableTracing: false\n');
  assert.deepEqual(resolveTracing(snapC(off), proxy), {});
  const s = snapC(off);
  const ls = sidecarListeners(s, proxy);
  assert.equal(withTracing(s, proxy, ls), ls);
  const on = off + tm('mesh', 'istio-system', '  tracing: [{randomSamplingPercentage: 5}]');
  assert.equal(resolveTracing(snapC(on), proxy).CLIENT?.sampling, 5);
  assert.deepEqual(resolveTracing(snapC(on), proxy).CLIENT?.providers, []);
});

test('defaultConfig.tracing.sampling is the mesh sampling; Telemetry randomSamplingPercentage overrides it', () => {
  const mesh = MESH.replace('spec:\n', 'spec:\n  defaultConfig: {tracing: {sampling: 12.5}}\n');
  assert.equal(resolveTracing(snapC(mesh), proxy).SERVER?.sampling, 12.5);
  const withProvider = mesh + tm('mesh', 'istio-system', '  tracing: [{providers: [{name: zk}]}]');
  assert.equal(resolveTracing(snapC(withProvider), proxy).SERVER?.sampling, 12.5);
  const override = withProvider + tm('ns', 'shop', '  tracing: [{randomSamplingPercentage: 0}]');
  assert.equal(resolveTracing(snapC(override), proxy).SERVER?.sampling, 0);
});

test('unspecified control plane host: each proxy exports to the host it reached xDS on', () => {
  const s = snapC(MESH, { port: 15014 });
  const ls = sidecarListeners(s, proxy);
  assert.equal(withTracing(s, proxy, ls), ls, 'no xDS host known: nothing');
  const p6 = { ...proxy, xdsHost: 'fd00::1' };
  const t = hcmTracingOf(withTracing(s, p6, sidecarListeners(s, p6)))[0] as Json;
  assert.equal(((t.provider as Json).typed_config as { http_service: { http_uri: { uri: string } } }).http_service.http_uri.uri, 'http://[fd00::1]:15014/v1/traces');
});

test('customTags: the most specific level that sets them wins; emitted sorted as Envoy custom_tags; the proxy decodes them', () => {
  const yaml =
    MESH +
    tm('mesh', 'istio-system', '  tracing: [{customTags: {old: {literal: {value: x}}}}]') +
    tm('ns', 'shop', `  tracing:
  - randomSamplingPercentage: 100
    customTags:
      zone: {literal: {value: eu-1}}
      user: {header: {name: X-User, defaultValue: anonymous}}
      pod: {environment: {name: WEFT_TEST_POD, defaultValue: unknown}}`);
  const s = snapC(yaml);
  assert.deepEqual(Object.keys(resolveTracing(s, proxy).CLIENT?.customTags ?? {}), ['zone', 'user', 'pod']);
  const ls = withTracing(s, proxy, sidecarListeners(s, proxy));
  const t = hcmTracingOf(ls)[0] as Json;
  assert.deepEqual(t.custom_tags, [
    { tag: 'pod', environment: { name: 'WEFT_TEST_POD', default_value: 'unknown' } },
    { tag: 'user', request_header: { name: 'x-user', default_value: 'anonymous' } },
    { tag: 'zone', literal: { value: 'eu-1' } },
  ]);
  for (const l of ls) {
    const cfg = decodeListener(decodeResource(TYPE_URL.listener, encodeResource(TYPE_URL.listener, l)) as Json);
    if (cfg.tcpProxy) continue;
    assert.deepEqual(cfg.hcm.tracing?.customTags, [
      { tag: 'pod', value: 'unknown' },
      { tag: 'user', header: 'x-user', defaultValue: 'anonymous' },
      { tag: 'zone', value: 'eu-1' },
    ]);
  }
});

test('useRequestIdForTraceSampling false → HCM request_id_extension; the proxy decodes it; default emits nothing', () => {
  const yaml = MESH + tm('mesh', 'istio-system', '  tracing: [{useRequestIdForTraceSampling: false, match: {mode: SERVER}}]');
  const s = snapC(yaml);
  const st = resolveTracing(s, proxy);
  assert.deepEqual([st.CLIENT?.useRequestId, st.SERVER?.useRequestId], [true, false]);
  let seen = 0;
  for (const l of withTracing(s, proxy, sidecarListeners(s, proxy))) {
    const back = decodeResource(TYPE_URL.listener, encodeResource(TYPE_URL.listener, l)) as Json;
    const cfg = decodeListener(back);
    if (cfg.tcpProxy) continue;
    const inbound = l.traffic_direction === 'INBOUND';
    assert.equal(JSON.stringify(l).includes('request_id_extension'), inbound, String(l.name));
    assert.equal(cfg.hcm.tracing?.useRequestIdForSampling, inbound ? false : undefined);
    seen++;
  }
  assert.ok(seen >= 2);
});

function hcmTracingOf(listeners: Json[]): Json[] {
  const out: Json[] = [];
  for (const l of listeners) {
    for (const c of l.filter_chains as Json[]) {
      for (const f of c.filters as Json[]) {
        const tc = f.typed_config as Json;
        if (tc.tracing) out.push(tc.tracing as Json);
      }
    }
  }
  return out;
}

test('levels: default 1%, providers inherited, workload overrides per mode, disableSpanReporting', () => {
  const base = MESH + tm('mesh', 'istio-system', '  tracing: [{providers: [{name: zk}]}]');
  assert.deepEqual(resolveTracing(snap(base), proxy), {
    CLIENT: { providers: ['zk'], sampling: 1, disabled: false, customTags: {}, useRequestId: true },
    SERVER: { providers: ['zk'], sampling: 1, disabled: false, customTags: {}, useRequestId: true },
  });
  const ns = base + tm('ns', 'shop', '  tracing: [{randomSamplingPercentage: 50}]');
  assert.equal(resolveTracing(snap(ns), proxy).SERVER?.sampling, 50);
  const wl = ns + tm('wl', 'shop', '  selector: {matchLabels: {app: order}}\n  tracing: [{match: {mode: CLIENT}, disableSpanReporting: true}]');
  const r = resolveTracing(snap(wl), proxy);
  assert.equal(r.CLIENT, undefined);
  assert.deepEqual(r.SERVER, { providers: ['zk'], sampling: 50, disabled: false, customTags: {}, useRequestId: true });
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
