import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources, proxyOf, sidecarMetadata, snapshotOf } from './golden.js';
import { resolveTelemetry, withTelemetry } from './telemetry.js';
import { sidecarListeners } from './listeners.js';
import type { Json } from './clusters.js';

const proxy = proxyOf(sidecarMetadata({ NAMESPACE: 'shop', LABELS: { app: 'order', version: 'v1' } }));

const tm = (name: string, ns: string, spec: string): string =>
  `apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}\n---\n`;
const mesh = (spec: string): string => `apiVersion: weft.dev/v1alpha1\nkind: MeshConfig\nmetadata: {name: m, namespace: istio-system}\nspec:\n${spec}\n---\n`;
const FILES = mesh('  extensionProviders:\n  - {name: a, envoyFileAccessLog: {path: /a.log}}\n  - {name: b, envoyFileAccessLog: {path: /b.log, logFormat: {labels: {c: "%RESPONSE_CODE%"}}}}');

function resolve(yaml: string): { client: string[]; server: string[]; filters: (string | undefined)[] } {
  const t = resolveTelemetry(snapshotOf(loadResources(yaml.replace(/---\n$/, ''))), proxy);
  const paths = (l: Json[]): string[] => l.map((x) => String((x.typed_config as Json).path));
  const filters = [...t.accessLog.CLIENT, ...t.accessLog.SERVER].map((x) => ((x.filter as Json | undefined)?.extension_filter as Json | undefined)?.typed_config as Json | undefined).map((x) => x?.expression as string | undefined);
  return { client: paths(t.accessLog.CLIENT), server: paths(t.accessLog.SERVER), filters };
}

test('nothing configured: no access logs, and withTelemetry returns the listeners untouched', () => {
  assert.deepEqual(resolve(FILES), { client: [], server: [], filters: [] });
  const snap = snapshotOf(loadResources(FILES.replace(/---\n$/, '')));
  const ls = sidecarListeners(snap, proxy);
  assert.equal(withTelemetry(snap, proxy, ls), ls);
});

test('meshConfig.accessLogFile alone logs both sides; the built-in envoy provider uses that file', () => {
  assert.deepEqual(resolve(mesh('  accessLogFile: /dev/stdout')).client, ['/dev/stdout']);
  assert.deepEqual(resolve(mesh('  accessLogFile: /x.log') + tm('t', 'istio-system', '  accessLogging: [{providers: [{name: envoy}]}]')).server, ['/x.log']);
  assert.deepEqual(resolve(tm('t', 'istio-system', '  accessLogging: [{providers: [{name: envoy}]}]')).client, ['/dev/stdout']);
});

test('levels: mesh < namespace < workload; providers inherited, disabled and filter override', () => {
  const base = FILES + tm('mesh', 'istio-system', '  accessLogging: [{providers: [{name: a}]}]');
  assert.deepEqual(resolve(base).client, ['/a.log']);
  // Namespace adds b for the server side only, with a filter.
  const ns = base + tm('ns', 'shop', '  accessLogging: [{providers: [{name: b}], match: {mode: SERVER}, filter: {expression: "response.code >= 500"}}]');
  assert.deepEqual(resolve(ns), { client: ['/a.log'], server: ['/a.log', '/b.log'], filters: [undefined, undefined, 'response.code >= 500'] });
  // A workload Telemetry without providers applies to the inherited ones: here it disables both.
  const off = ns + tm('wl', 'shop', '  selector: {matchLabels: {app: order}}\n  accessLogging: [{disabled: true}]');
  assert.deepEqual(resolve(off), { client: [], server: [], filters: [] });
  // A selector that does not match, or another namespace's Telemetry, changes nothing.
  const other = ns + tm('wl', 'shop', '  selector: {matchLabels: {app: payment}}\n  accessLogging: [{disabled: true}]') + tm('x', 'other', '  accessLogging: [{disabled: true}]');
  assert.deepEqual(resolve(other).client, ['/a.log']);
  // defaultProviders apply when a Telemetry names no provider.
  const defaults = mesh('  defaultProviders: {accessLogging: [a]}\n  extensionProviders: [{name: a, envoyFileAccessLog: {path: /a.log}}]') + tm('t', 'shop', '  accessLogging: [{filter: {expression: "response.code == 404"}}]');
  assert.deepEqual(resolve(defaults), { client: ['/a.log'], server: ['/a.log'], filters: ['response.code == 404', 'response.code == 404'] });
  // Unknown provider names log nothing.
  assert.deepEqual(resolve(tm('t', 'istio-system', '  accessLogging: [{providers: [{name: nope}]}]')).client, []);
});

test('metric overrides merge across levels per mode; later levels win per tag and metric', () => {
  const yaml =
    tm('mesh', 'istio-system', '  metrics:\n  - overrides:\n    - tagOverrides: {response_flags: {operation: REMOVE}, tier: {value: "\'a\'"}}') +
    tm('wl', 'shop', "  selector: {matchLabels: {app: order}}\n  metrics:\n  - overrides:\n    - match: {metric: REQUEST_DURATION, mode: SERVER}\n      disabled: true\n      tagOverrides: {response_flags: {value: \"'kept'\"}}");
  const t = resolveTelemetry(snapshotOf(loadResources(yaml.replace(/---\n$/, ''))), proxy);
  const metrics = (j: Json | undefined): Json[] => (((j?.typed_config as Json).value as Json).metrics as Json[]);
  const client = metrics(t.stats.CLIENT);
  assert.equal(client.length, 4);
  assert.deepEqual(client[0], { name: 'requests_total', tags_to_remove: ['response_flags'], dimensions: { tier: "'a'" } });
  const server = metrics(t.stats.SERVER);
  assert.deepEqual(server[1], { name: 'request_duration_milliseconds', drop: true, dimensions: { response_flags: "'kept'", tier: "'a'" } });
  assert.deepEqual(server[0], client[0]);
});

test('TCP metric overrides: ALL_METRICS and TCP_* reach an istio.stats network filter in front of tcp_proxy', () => {
  const yaml = tm('mesh', 'istio-system', '  metrics:\n  - overrides:\n    - match: {metric: TCP_SENT_BYTES, mode: CLIENT}\n      disabled: true\n    - tagOverrides: {destination_version: {operation: REMOVE}}');
  const t = resolveTelemetry(snapshotOf(loadResources(yaml.replace(/---\n$/, ''))), proxy);
  const metrics = (j: Json | undefined): Json[] => (((j?.typed_config as Json).value as Json).metrics as Json[]);
  assert.deepEqual(metrics(t.tcpStats.CLIENT).map((m) => m.name), ['tcp_connections_opened_total', 'tcp_connections_closed_total', 'tcp_sent_bytes_total', 'tcp_received_bytes_total']);
  assert.deepEqual(metrics(t.tcpStats.CLIENT)[2], { name: 'tcp_sent_bytes_total', drop: true, tags_to_remove: ['destination_version'] });
  assert.ok(metrics(t.tcpStats.SERVER).every((m) => m.drop === undefined));
  assert.ok(metrics(t.stats.CLIENT).every((m) => !String(m.name).startsWith('tcp_')), 'HTTP filter: HTTP metrics only');
  const tcpListener: Json = {
    name: '127.0.0.1_6379',
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', cluster: 'c' } }] }],
  };
  const [out] = withTelemetry(snapshotOf(loadResources(yaml.replace(/---\n$/, ''))), proxy, [tcpListener]);
  const filters = ((out!.filter_chains as Json[])[0]!.filters as Json[]).map((f) => f.name);
  assert.deepEqual(filters, ['istio.stats', 'envoy.filters.network.tcp_proxy']);
});
