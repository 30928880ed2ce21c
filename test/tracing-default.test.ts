// Tracing by default, as in Istio: a mesh with NO tracing config (no Telemetry tracing, no
// tracing providers) still propagates trace context, samples 1%, and exports OTLP/HTTP JSON to
// the control plane's HTTP port (the `weft-telemetry` cluster in every proxy's CDS), which serves
// the traces at GET /debug/traces/<id>. Real control plane, ingress gateway, two sidecars and two
// apps (the frontend app forwards the trace headers, as Istio asks apps to):
//   - a caller's sampled W3C traceparent is honored at 1%: one trace of four parented spans;
//   - without a caller's decision, the x-request-id decides (Envoy's request-id sampling);
//   - a Telemetry at 100% with customTags (literal, environment, header) puts them on the spans;
//   - MeshConfig enableTracing: false (and no Telemetry tracing): apps get no trace headers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stopAll, waitFor, type ControlPlaneHandle, type ProxyHandle } from './harness/processes.js';
import { httpGet } from './harness/http.js';
import { removeConfig, writeConfig } from './harness/config.js';
import { spanIdOf, startTraceMesh, traceIdOf, TRACE_MESH_CONFIG as CONFIG, viaGateway as viaGatewayAt, type Answer } from './harness/trace-mesh.js';

const SUBNET = '127.0.72';
const ip = (n: number): string => `${SUBNET}.${n}`;
const GATEWAY = ip(30);
const GW_URL = `http://${GATEWAY}:18080`;
/** Read by the proxies when they decode an `environment` custom tag (they inherit this process's environment). */
const ENV_TAG = 'WEFT_TRACING_DEFAULT_TEST_ZONE';

const CUSTOM_TAGS = `
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-tracing, namespace: istio-system}
spec:
  tracing:
  - randomSamplingPercentage: 100
    customTags:
      team: {literal: {value: checkout}}
      zone: {environment: {name: ${ENV_TAG}, defaultValue: nowhere}}
      user: {header: {name: x-user, defaultValue: anonymous}}
`;

const TRACING_OFF = `
apiVersion: weft.dev/v1alpha1
kind: MeshConfig
metadata: {name: mesh, namespace: istio-system}
spec:
  enableTracing: false
`;

const viaGateway = (p: string, headers: Record<string, string> = {}): Promise<Answer> => viaGatewayAt(GW_URL, p, headers);

type Stored = { traceId: string; spanId: string; parentSpanId?: string; kind: 'CLIENT' | 'SERVER'; service: string; name: string; attributes: Record<string, string> };

async function storedTrace(cp: ControlPlaneHandle, traceId: string, n = 4): Promise<Stored[]> {
  let stored: Stored[] = [];
  await waitFor(`${n} spans of ${traceId} in /debug/traces/<id>`, async () => {
    const r = await httpGet(`http://${cp.http}/debug/traces/${traceId}`);
    if (r.status !== 200) return false;
    stored = (JSON.parse(r.body) as { spans: Stored[] }).spans;
    return stored.length >= n;
  }, 30_000);
  return stored;
}

/** gateway CLIENT → frontend SERVER → frontend CLIENT → backend SERVER, parented, as the apps saw them. */
function chain(list: Stored[], a: Answer): { gw: Stored; fs: Stored; fc: Stored; bs: Stored } {
  assert.equal(list.length, 4, JSON.stringify(list, null, 1));
  const find = (kind: Stored['kind'], service: string): Stored => {
    const s = list.find((x) => x.kind === kind && x.service === service);
    assert.ok(s, `${kind} span of ${service} in ${JSON.stringify(list, null, 1)}`);
    return s;
  };
  const gw = find('CLIENT', 'istio-ingressgateway.default');
  const fs = find('SERVER', 'frontend.default');
  const fc = find('CLIENT', 'frontend.default');
  const bs = find('SERVER', 'backend.default');
  assert.equal(fs.parentSpanId, gw.spanId, 'frontend server span is the gateway span\'s child');
  assert.equal(fc.parentSpanId, fs.spanId, 'frontend client span is the frontend server span\'s child');
  assert.equal(bs.parentSpanId, fc.spanId, 'backend server span is the frontend client span\'s child');
  assert.equal(spanIdOf(a.frontend.traceparent), fs.spanId);
  assert.equal(spanIdOf(a.backend.traceparent), bs.spanId);
  return { gw, fs, fc, bs };
}

async function dumpOf(p: ProxyHandle): Promise<{ clusters: string; listeners: string }> {
  const d = JSON.parse((await httpGet(`http://${p.admin}/config_dump`)).body) as { clusters: unknown[]; listeners: unknown[] };
  return { clusters: JSON.stringify(d.clusters), listeners: JSON.stringify(d.listeners) };
}

describe('tracing by default: the control plane is the collector', { timeout: 300_000 }, () => {
  let cp: ControlPlaneHandle;
  let configDir: string;
  let proxies: ProxyHandle[] = [];

  before(async () => {
    process.env[ENV_TAG] = 'zone-a'; // the proxies started below inherit it
    const mesh = await startTraceMesh(SUBNET, CONFIG);
    cp = mesh.cp;
    configDir = mesh.configDir;
    proxies = mesh.proxies;
  });
  after(async () => {
    await stopAll();
    delete process.env[ENV_TAG];
  });

  it('no tracing config: every proxy has the weft-telemetry cluster and traces at 1% into the control plane', async () => {
    for (const p of proxies) {
      const d = await dumpOf(p);
      assert.ok(d.clusters.includes(`"name":"weft-telemetry"`), `${p.ip} CDS has weft-telemetry`);
      assert.ok(d.clusters.includes(`"address":"${ip(1)}","port_value":15014`), `${p.ip}: the collector cluster is the control plane's HTTP address`);
      assert.ok(d.listeners.includes('envoy.tracers.opentelemetry') && d.listeners.includes(`http://${ip(1)}:15014/v1/traces`), `${p.ip} LDS traces to the control plane`);
      assert.ok(d.listeners.includes('"random_sampling":{"value":1}'), `${p.ip} samples 1%`);
    }
    // Propagation is on without any config: the apps receive a W3C and a B3 context from their sidecars.
    const a = await viaGateway('/no-headers');
    assert.match(a.frontend.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.equal(traceIdOf(a.backend.traceparent), traceIdOf(a.frontend.traceparent), 'one trace id end to end');
    assert.equal(a.backend['x-b3-traceid'], traceIdOf(a.frontend.traceparent));
  });

  it('a sampled W3C traceparent is honored at 1%: one trace of four parented spans at /debug/traces/<id>', async () => {
    const traceId = '7a'.repeat(16);
    const parent = '3c'.repeat(8);
    const a = await viaGateway('/sampled', { traceparent: `00-${traceId}-${parent}-01` });
    assert.equal(traceIdOf(a.backend.traceparent), traceId);
    assert.match(a.backend.traceparent ?? '', /-01$/, 'the caller\'s decision travels on');
    const { gw, fs, fc, bs } = chain(await storedTrace(cp, traceId), a);
    assert.equal(gw.parentSpanId, parent, 'the gateway span is the caller\'s child');
    assert.equal(gw.attributes.upstream_cluster, 'outbound|80||frontend.default.svc.cluster.local');
    assert.equal(bs.attributes.upstream_cluster, 'inbound|80||');
    for (const s of [gw, fs, fc, bs]) {
      assert.equal(s.attributes.component, 'proxy');
      assert.equal(s.attributes['http.status_code'], '200');
      assert.equal(s.attributes.team, undefined, 'no custom tags configured yet');
    }
  });

  it('no caller decision: the x-request-id decides sampling (useRequestIdForTraceSampling, Istio\'s default), so every hop agrees', async () => {
    // The last 8 hex digits, 0x00000001, give 1 % 10000 < 100 (1%): sampled by every proxy. At
    // random, a 1% mesh would trace this request once in a hundred.
    const rid = '5b7e8c1d-2f3a-4b5c-8d6e-000000000001';
    const a = await viaGateway('/by-request-id', { 'x-request-id': rid });
    assert.equal(a.backend['x-request-id'], rid, 'the request id travels end to end');
    assert.match(a.frontend.traceparent ?? '', /-01$/, 'sampled');
    const traceId = traceIdOf(a.backend.traceparent);
    const { gw } = chain(await storedTrace(cp, traceId), a);
    assert.equal(gw.parentSpanId, undefined, 'the gateway started the trace');
    assert.equal(gw.attributes['guid:x-request-id'], rid);
  });

  it('a Telemetry at 100% with customTags: literal, environment and header tags on the spans', async () => {
    writeConfig(configDir, 'telemetry.yaml', CUSTOM_TAGS);
    for (const p of proxies) {
      await waitFor(`${p.ip} has custom_tags`, async () => {
        const l = (await dumpOf(p)).listeners;
        return l.includes('"custom_tags"') && l.includes('"random_sampling":{"value":100}');
      }, 30_000);
    }
    const a = await viaGateway('/tagged', { 'x-user': 'alice' });
    const traceId = traceIdOf(a.backend.traceparent);
    assert.match(traceId, /^[0-9a-f]{32}$/);
    const { gw, fs, fc, bs } = chain(await storedTrace(cp, traceId), a);
    for (const s of [gw, fs, fc, bs]) {
      assert.equal(s.attributes.team, 'checkout', `${s.kind} ${s.service}: literal`);
      assert.equal(s.attributes.zone, 'zone-a', `${s.kind} ${s.service}: from the proxy's environment`);
    }
    // The header reached the gateway and the frontend app, which does not forward x-user: the
    // backend hop falls back to the default value.
    assert.equal(gw.attributes.user, 'alice');
    assert.equal(fs.attributes.user, 'alice');
    assert.equal(fc.attributes.user, 'anonymous');
    assert.equal(bs.attributes.user, 'anonymous');
  });

  it('enableTracing: false and no Telemetry tracing: no tracing block, apps receive no traceparent', async () => {
    removeConfig(configDir, 'telemetry.yaml');
    writeConfig(configDir, 'mesh.yaml', TRACING_OFF);
    for (const p of proxies) {
      await waitFor(`${p.ip} has no tracing`, async () => {
        const d = await dumpOf(p);
        return !d.listeners.includes('"tracing"') && d.listeners.includes('HttpConnectionManager');
      }, 30_000);
    }
    const a = await viaGateway('/off');
    for (const h of ['traceparent', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', 'b3']) {
      assert.equal(a.frontend[h], undefined, `frontend app got no ${h}`);
      assert.equal(a.backend[h], undefined, `backend app got no ${h}`);
    }
  });
});
