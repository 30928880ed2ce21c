// Distributed tracing through a real control plane, a real ingress gateway, real sidecars and real
// apps: gateway → frontend sidecar → frontend app (forwards the trace headers, as Istio asks apps
// to) → frontend sidecar → backend sidecar → backend app. One trace with four correctly parented
// spans (gateway CLIENT, frontend SERVER, frontend CLIENT, backend SERVER) reaches a Zipkin
// collector and, after a Telemetry change, an OpenTelemetry (OTLP/HTTP JSON) collector; both are
// small servers in this test. A caller's sampled=0 decision is honored at 100%, a caller's
// sampled=1 at 0%, and 0% samples nothing else.
//
// Absence is only asserted against a later request's spans: each proxy exports its spans in
// completion order through one exporter, so an earlier span would have arrived first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { stopAll, waitFor, type ControlPlaneHandle, type ProxyHandle } from './harness/processes.js';
import { httpGet } from './harness/http.js';
import { applyConfig } from './harness/config.js';
import { spanIdOf, startTraceMesh, traceIdOf, TRACE_BACKEND as BACKEND, TRACE_MESH_CONFIG, viaGateway as viaGatewayAt, type Answer } from './harness/trace-mesh.js';

const SUBNET = '127.0.57';
const COLLECTORS = '127.0.58';
const ip = (n: number): string => `${SUBNET}.${n}`;
const GATEWAY = ip(30);
const GW_URL = `http://${GATEWAY}:18080`;
const FRONTEND = 'frontend.default.svc.cluster.local';

/** A collector as a mesh service: `<name>.<ns>.svc.cluster.local:<port>` → one static address. */
const collectorEntry = (name: string, ns: string, port: number, address: string): string => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${name}.${ns}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: ${port}, name: http, protocol: HTTP}]
  endpoints: [{address: ${address}}]
`;

const CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: MeshConfig
metadata: {name: mesh, namespace: istio-system}
spec:
  extensionProviders:
  - name: zipkin
    zipkin: {service: zipkin.observability.svc.cluster.local, port: 9411}
  - name: otel
    opentelemetry:
      service: otel.observability.svc.cluster.local
      port: 4318
      http: {path: /v1/traces}
  - name: weft
    opentelemetry:
      service: weft-control-plane.istio-system.svc.cluster.local
      port: 15014
      http: {path: /v1/traces}
  defaultProviders:
    tracing: [zipkin]
---
${collectorEntry('weft-control-plane', 'istio-system', 15014, `${SUBNET}.1`)}---
${collectorEntry('zipkin', 'observability', 9411, `${COLLECTORS}.1`)}---
${collectorEntry('otel', 'observability', 4318, `${COLLECTORS}.2`)}---
${TRACE_MESH_CONFIG}`;

const meshTracing = (body: string): string =>
  `apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: mesh-tracing, namespace: istio-system}\nspec:\n  tracing:\n${body}`;

/** A span as either collector received it, in one shape. */
interface Span {
  format: 'zipkin' | 'otlp';
  traceId: string;
  id: string;
  parentId: string | undefined;
  kind: 'CLIENT' | 'SERVER';
  service: string;
  name: string;
  tags: Record<string, string>;
}

const spans: Span[] = [];
const posts: { format: string; path: string; contentType: string }[] = [];

function collector(format: 'zipkin' | 'otlp', host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push({ format, path: req.url ?? '', contentType: req.headers['content-type'] ?? '' });
      if (format === 'zipkin') {
        for (const s of JSON.parse(body) as { traceId: string; id: string; parentId?: string; kind: 'CLIENT' | 'SERVER'; name: string; localEndpoint: { serviceName: string }; tags: Record<string, string> }[]) {
          spans.push({ format, traceId: s.traceId, id: s.id, parentId: s.parentId, kind: s.kind, service: s.localEndpoint.serviceName, name: s.name, tags: s.tags });
        }
      } else {
        type Attr = { key: string; value: { stringValue: string } };
        const req = JSON.parse(body) as { resourceSpans: { resource: { attributes: Attr[] }; scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; kind: number; name: string; attributes: Attr[] }[] }[] }[] };
        for (const rs of req.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans) {
            for (const s of ss.spans) {
              const tags = Object.fromEntries(s.attributes.map((a) => [a.key, a.value.stringValue]));
              spans.push({ format, traceId: s.traceId, id: s.spanId, parentId: s.parentSpanId, kind: s.kind === 3 ? 'CLIENT' : 'SERVER', service, name: s.name, tags });
            }
          }
        }
      }
      res.writeHead(format === 'zipkin' ? 202 : 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

const traceSpans = (traceId: string, format: Span['format']): Span[] => spans.filter((s) => s.traceId === traceId && s.format === format);

async function waitTrace(traceId: string, format: Span['format'], n = 4): Promise<Span[]> {
  await waitFor(`${n} ${format} spans of trace ${traceId}`, () => traceSpans(traceId, format).length >= n, 30_000);
  return traceSpans(traceId, format);
}

const viaGateway = (p: string, headers: Record<string, string> = {}): Promise<Answer> => viaGatewayAt(GW_URL, p, headers);

/** The four spans of a gateway → frontend → backend request, by role; asserts the parentage. */
function chain(list: Span[], a: Answer): { gw: Span; fs: Span; fc: Span; bs: Span } {
  assert.equal(list.length, 4, JSON.stringify(list, null, 1));
  const find = (kind: Span['kind'], service: string): Span => {
    const s = list.find((x) => x.kind === kind && x.service === service);
    assert.ok(s, `${kind} span of ${service} in ${JSON.stringify(list, null, 1)}`);
    return s;
  };
  const gw = find('CLIENT', 'istio-ingressgateway.default');
  const fs = find('SERVER', 'frontend.default');
  const fc = find('CLIENT', 'frontend.default');
  const bs = find('SERVER', 'backend.default');
  assert.equal(fs.parentId, gw.id, 'frontend server span is the gateway span\'s child');
  assert.equal(fc.parentId, fs.id, 'frontend client span is the frontend server span\'s child');
  assert.equal(bs.parentId, fc.id, 'backend server span is the frontend client span\'s child');
  assert.equal(new Set([gw.id, fs.id, fc.id, bs.id]).size, 4, 'four distinct span ids');
  // Each app saw the span of the sidecar that handed it the request as its parent.
  assert.equal(spanIdOf(a.frontend.traceparent), fs.id);
  assert.equal(spanIdOf(a.backend.traceparent), bs.id);
  assert.equal(a.frontend['x-b3-spanid'], fs.id);
  assert.equal(a.frontend['x-b3-parentspanid'], gw.id);
  assert.equal(a.backend['x-b3-spanid'], bs.id);
  assert.equal(a.backend['x-b3-parentspanid'], fc.id);
  return { gw, fs, fc, bs };
}

async function listenersOf(p: ProxyHandle): Promise<string> {
  return JSON.stringify((JSON.parse((await httpGet(`http://${p.admin}/config_dump`)).body) as { listeners: unknown[] }).listeners);
}

describe('distributed tracing through a gateway and two sidecars', { timeout: 300_000 }, () => {
  let cp: ControlPlaneHandle;
  let proxies: ProxyHandle[] = [];
  const servers: http.Server[] = [];

  before(async () => {
    servers.push(await collector('zipkin', `${COLLECTORS}.1`, 9411), await collector('otlp', `${COLLECTORS}.2`, 4318));
    const mesh = await startTraceMesh(SUBNET, `${CONFIG}---\n${meshTracing('  - randomSamplingPercentage: 100\n')}`, async (ps) => {
      for (const p of ps) await waitFor(`${p.ip} traces to zipkin`, async () => (await listenersOf(p)).includes('envoy.tracers.zipkin'), 30_000);
    });
    cp = mesh.cp;
    proxies = mesh.proxies;
  });
  after(async () => {
    await stopAll();
    for (const s of servers) s.close();
  });

  it('a request without trace headers becomes one Zipkin trace of four parented spans with Istio\'s tags', async () => {
    const a = await viaGateway('/zipkin-1?q=1', { 'user-agent': 'trace-test' });
    const traceId = traceIdOf(a.frontend.traceparent);
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.equal(traceIdOf(a.backend.traceparent), traceId, 'the app forwarded the trace: one trace id end to end');
    assert.equal(a.backend['x-b3-traceid'], traceId);
    assert.equal(a.backend['x-b3-sampled'], '1');
    const { gw, fs, fc, bs } = chain(await waitTrace(traceId, 'zipkin'), a);
    assert.equal(gw.parentId, undefined, 'the gateway started the trace');
    const requestId = a.backend['x-request-id'];
    assert.ok(requestId && requestId === a.frontend['x-request-id'], 'one x-request-id end to end');
    for (const s of [gw, fs, fc, bs]) {
      assert.equal(s.tags.component, 'proxy');
      assert.equal(s.tags['guid:x-request-id'], requestId);
      assert.equal(s.tags['http.method'], 'GET');
      assert.equal(s.tags['http.protocol'], 'HTTP/1.1');
      assert.equal(s.tags['http.status_code'], '200');
      assert.equal(s.tags.response_flags, '-');
      assert.match(s.tags.node_id ?? '', /~/);
      assert.ok(Number(s.tags.response_size) > 0, `response_size ${s.tags.response_size}`);
      assert.equal(s.tags.request_size, '0');
      assert.equal(s.tags.error, undefined);
    }
    assert.equal(gw.tags.upstream_cluster, `outbound|80||${FRONTEND}`);
    assert.equal(gw.tags['http.url'], `http://${GATEWAY}:18080/zipkin-1?q=1`);
    assert.equal(fs.tags.upstream_cluster, 'inbound|80||');
    assert.equal(fc.tags.upstream_cluster, `outbound|80||${BACKEND}`);
    assert.equal(fc.tags['http.url'], `http://${BACKEND}/zipkin-1?q=1`);
    assert.equal(bs.tags.upstream_cluster, 'inbound|80||');
    // Peer identity from the metadata exchange: the callee on client spans. (Server spans name the
    // caller only when the exchange is trusted, i.e. over mTLS: plaintext here, so none.)
    assert.equal(bs.tags['source.workload'], undefined);
    assert.equal(fc.tags['destination.workload'], 'backend.default');
    assert.equal(gw.tags['destination.workload'], 'frontend.default');
    assert.ok(posts.some((p) => p.format === 'zipkin' && p.path === '/api/v2/spans' && p.contentType === 'application/json'));
    // The exporter counts what it sent (read at scrape time).
    const exported = /weft_tracing_spans_total\{provider="zipkin:outbound\|9411\|\|zipkin\.observability\.svc\.cluster\.local\/api\/v2\/spans",result="exported"\} ([0-9]+)/;
    await waitFor('gateway counts exported spans', async () => Number(exported.exec((await httpGet(`http://${proxies[2]!.admin}/stats/prometheus`)).body)?.[1] ?? 0) > 0, 20_000);
  });

  it('an incoming traceparent is continued; B3 too; an upstream sampled=0 decision is honored at 100%', async () => {
    const unsampled = 'aa'.repeat(16);
    const u = await viaGateway('/unsampled', { traceparent: `00-${unsampled}-${'ab'.repeat(8)}-00` });
    assert.equal(traceIdOf(u.backend.traceparent), unsampled, 'propagated even when not sampled');
    assert.match(u.backend.traceparent ?? '', /-00$/);
    assert.equal(u.backend['x-b3-sampled'], '0');

    const w3c = 'bb'.repeat(16);
    const parent = 'cd'.repeat(8);
    const a = await viaGateway('/w3c', { traceparent: `00-${w3c}-${parent}-01`, tracestate: 'vendor=x' });
    const { gw } = chain(await waitTrace(w3c, 'zipkin'), a);
    assert.equal(gw.parentId, parent, 'the gateway span is the caller\'s child');
    assert.equal(a.backend.tracestate, 'vendor=x');

    const b3 = 'cc'.repeat(16);
    const b = await viaGateway('/b3', { b3: `${b3}-${'ef'.repeat(8)}-1` });
    const c = chain(await waitTrace(b3, 'zipkin'), b);
    assert.equal(c.gw.parentId, 'ef'.repeat(8));
    // Every proxy finished the unsampled request before the sampled ones: nothing of it was exported.
    assert.deepEqual(spans.filter((s) => s.traceId === unsampled), []);
  });

  it('OpenTelemetry provider: the same trace shape arrives as OTLP/HTTP JSON', async () => {
    const r = await applyConfig(cp.http, meshTracing('  - providers: [{name: otel}]\n    randomSamplingPercentage: 100\n'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const p of proxies) await waitFor(`${p.ip} traces to otel`, async () => (await listenersOf(p)).includes('envoy.tracers.opentelemetry'), 30_000);
    const a = await viaGateway('/otlp-1');
    const traceId = traceIdOf(a.backend.traceparent);
    const { gw, bs } = chain(await waitTrace(traceId, 'otlp'), a);
    assert.equal(gw.parentId, undefined);
    assert.equal(gw.tags.upstream_cluster, `outbound|80||${FRONTEND}`);
    assert.equal(bs.tags.upstream_cluster, 'inbound|80||');
    assert.equal(traceSpans(traceId, 'zipkin').length, 0, 'no longer sent to zipkin');
    assert.ok(posts.some((p) => p.format === 'otlp' && p.path === '/v1/traces' && p.contentType === 'application/json'));
  });

  it('0% sampling: nothing is traced unless the caller decided to sample', async () => {
    await applyConfig(cp.http, meshTracing('  - providers: [{name: otel}]\n    randomSamplingPercentage: 0\n'));
    for (const p of proxies) {
      await waitFor(`${p.ip} samples 0%`, async () => {
        const l = await listenersOf(p);
        return l.includes('envoy.tracers.opentelemetry') && !l.includes('"value":100');
      }, 30_000);
    }
    const quiet: string[] = [];
    for (let i = 0; i < 5; i++) quiet.push(traceIdOf((await viaGateway(`/zero-${i}`)).backend.traceparent));
    const forced = 'dd'.repeat(16);
    const a = await viaGateway('/forced', { traceparent: `00-${forced}-${'12'.repeat(8)}-01` });
    chain(await waitTrace(forced, 'otlp'), a);
    assert.deepEqual(spans.filter((s) => quiet.includes(s.traceId)), [], 'no spans for requests that 0% did not sample');
  });

  it('the control plane as collector: OTLP to port 15014, served by /debug/traces', async () => {
    await applyConfig(cp.http, meshTracing('  - providers: [{name: weft}]\n    randomSamplingPercentage: 100\n'));
    for (const p of proxies) await waitFor(`${p.ip} traces to the control plane`, async () => (await listenersOf(p)).includes('weft-control-plane'), 30_000);
    const a = await viaGateway('/to-control-plane');
    const traceId = traceIdOf(a.backend.traceparent);
    type Stored = { spanId: string; parentSpanId?: string; kind: 'CLIENT' | 'SERVER'; service: string; name: string; attributes: Record<string, string> };
    let stored: Stored[] = [];
    await waitFor('four spans in /debug/traces/<id>', async () => {
      const r = await httpGet(`http://${cp.http}/debug/traces/${traceId}`);
      if (r.status !== 200) return false;
      stored = (JSON.parse(r.body) as { spans: Stored[] }).spans;
      return stored.length >= 4;
    }, 30_000);
    const asSpans: Span[] = stored.map((s) => ({ format: 'otlp', traceId, id: s.spanId, parentId: s.parentSpanId, kind: s.kind, service: s.service, name: s.name, tags: s.attributes }));
    const { gw } = chain(asSpans, a);
    assert.equal(gw.parentId, undefined);
    assert.equal(stored[0]?.spanId, gw.id, 'sorted by start: the gateway span first');
    const list = JSON.parse((await httpGet(`http://${cp.http}/debug/traces`)).body) as { traces: { traceId: string; spans: number; services: string[] }[] };
    const t = list.traces.find((x) => x.traceId === traceId);
    assert.deepEqual(t && [t.spans, t.services], [4, ['backend.default', 'frontend.default', 'istio-ingressgateway.default']]);
    assert.equal((await httpGet(`http://${cp.http}/debug/traces/${'ee'.repeat(16)}`)).status, 404);
  });
});
