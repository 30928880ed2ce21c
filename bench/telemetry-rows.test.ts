// The telemetry benchmark's rows against the real translation: every row's config loads without
// errors or warnings, and the config_dump check recognises exactly its own row in what the control
// plane emits for the client and the server sidecar (after the protobuf round trip the proxy sees),
// so a row is never measured with the previous row's config still in place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadResources, proxyOf, sidecarMetadata, snapshotOf } from '../src/control/translate/golden.js';
import { translate } from '../src/control/translate/index.js';
import { decodeResource, encodeResource } from '../src/xds/json-codec.js';
import { TYPE_URL } from '../src/xds/protos.js';
import { BENCH_WORKLOAD, collectorConfig, listenersMatchRow, ROWS, rowTelemetry, type RowSpec } from './telemetry-rows.js';

const client = proxyOf(sidecarMetadata({ INSTANCE_IP: '127.0.62.100', ADMIN_ADDRESS: '127.0.62.100:15000' }));
const server = proxyOf(
  sidecarMetadata({ NAME: 'bench-0', WORKLOAD_NAME: 'bench', LABELS: { app: 'bench' }, SERVICE_ACCOUNT: 'bench', INSTANCE_IP: '127.0.62.101', ADMIN_ADDRESS: '127.0.62.101:15000' }),
);

/** The listeners as the proxy's /config_dump shows them (decoded from the wire form). */
function dumpedListeners(row: RowSpec, proxy: typeof client): string {
  const yaml = [BENCH_WORKLOAD, collectorConfig('127.0.62.1', 15014), rowTelemetry(row)].join('---\n');
  const snap = snapshotOf(loadResources(yaml, 'bench-telemetry.yaml'));
  const listeners = [...translate(snap, proxy).listener.values()];
  assert.ok(listeners.length > 0);
  return JSON.stringify(listeners.map((l) => decodeResource(TYPE_URL.listener, encodeResource(TYPE_URL.listener, l))));
}

test('five rows: none, metrics, metrics + 1 %, metrics + 100 %, none again', () => {
  assert.deepEqual(
    ROWS.map((r) => [r.metrics, r.tracingPercent]),
    [[false, undefined], [true, undefined], [true, 1], [true, 100], [false, undefined]],
  );
  for (const r of ROWS) {
    const t = rowTelemetry(r);
    assert.match(t, r.metrics ? /disabled: false/ : /disabled: true/);
    assert.match(t, r.tracingPercent === undefined ? /disableSpanReporting: true/ : new RegExp(`randomSamplingPercentage: ${r.tracingPercent}\\n`));
  }
});

test('each row is recognised in the emitted listeners of both sidecars, and no other row is', () => {
  for (const proxy of [client, server]) {
    for (const emitted of ROWS) {
      const dump = dumpedListeners(emitted, proxy);
      for (const expected of ROWS) {
        const same = expected.metrics === emitted.metrics && expected.tracingPercent === emitted.tracingPercent;
        assert.equal(listenersMatchRow(dump, expected), same, `${proxy.metadata.WORKLOAD_NAME}: config of "${emitted.label}" checked as "${expected.label}"`);
      }
    }
  }
});

test('tracing rows send OTLP to the control plane on its HTTP port', () => {
  const row = ROWS.find((r) => r.tracingPercent === 100);
  assert.ok(row);
  const dump = dumpedListeners(row, client);
  assert.ok(dump.includes('envoy.tracers.opentelemetry'));
  assert.ok(dump.includes('outbound|15014||weft-control-plane.istio-system.svc.cluster.local'));
  assert.ok(dump.includes('/v1/traces'));
});
