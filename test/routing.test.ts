// Routing through real sidecars: header and path matches, an 80/20 weighted split over 10,000
// requests, a route change under load with zero failures, and Istio metrics from both reporters.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startScenario, type Scenario } from './harness/scenario.js';
import { stopAll, waitFor } from './harness/processes.js';
import { keepAliveAgent, viaSidecar, httpGet } from './harness/http.js';
import { allSynced, writeConfig } from './harness/config.js';
import { describe as describeLoad, runLoad } from './harness/load.js';
import { parseExposition, findSamples } from '../src/telemetry/exposition-parser.js';

const VS = (weights: [number, number]): string => `
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers: {end-user: {exact: jason}}
    route:
    - destination: {host: reviews, subset: v2}
  - match:
    - uri: {prefix: /v2only}
    route:
    - destination: {host: reviews, subset: v2}
  - match:
    - uri: {exact: /v1only}
      method: {exact: GET}
    route:
    - destination: {host: reviews, subset: v1}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: ${weights[0]}
    - destination: {host: reviews, subset: v2}
      weight: ${weights[1]}
`;

describe('routing through sidecars', { timeout: 180_000 }, () => {
  let s: Scenario;
  const agent = keepAliveAgent(16);

  before(async () => {
    s = await startScenario({ subnet: '127.0.10', xdsPort: 25110, httpPort: 25114 });
    writeConfig(s.cp.configDir, 'vs.yaml', VS([80, 20]));
    // The VirtualService is in effect once /v2only keeps reaching v2 (the default route would split).
    await waitFor('virtual service applied', async () => {
      if (!(await allSynced(s.cp.http, 3))) return false;
      for (let i = 0; i < 10; i++) {
        const r = await viaSidecar(s.client.ip, s.host, '/v2only');
        if (r.status !== 200 || (JSON.parse(r.body) as { name: string }).name !== 'reviews-v2') return false;
      }
      return true;
    });
  });
  after(async () => {
    agent.destroy();
    await stopAll();
  });

  const who = async (path: string, headers: Record<string, string> = {}): Promise<string> => {
    const r = await viaSidecar(s.client.ip, s.host, path, { headers, agent });
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as { name: string }).name;
  };

  it('routes by header: end-user jason always reaches v2', async () => {
    for (let i = 0; i < 30; i++) assert.equal(await who('/reviews/1', { 'end-user': 'jason' }), 'reviews-v2');
  });

  it('routes by path prefix and by exact path + method', async () => {
    for (let i = 0; i < 20; i++) assert.equal(await who('/v2only/x'), 'reviews-v2');
    for (let i = 0; i < 20; i++) assert.equal(await who('/v1only'), 'reviews-v1');
  });

  it('unknown host goes out through PassthroughCluster (ALLOW_ANY, Istio\'s default): nothing listens there → 503 UF', async () => {
    // An IP literal with a closed port: no DNS involved (test/passthrough.test.ts covers the rest).
    const r = await viaSidecar(s.client.ip, `${s.client.ip}:9`, '/');
    assert.equal(r.status, 503);
    assert.match(r.body, /connection failure/);
  });

  it('splits 80/20 within ±3% over 10,000 requests', async () => {
    const r = await runLoad({
      concurrency: 16,
      maxRequests: 10_000,
      durationMs: 90_000,
      send: async () => {
        const resp = await viaSidecar(s.client.ip, s.host, '/reviews/1', { agent });
        return { status: resp.status, key: (JSON.parse(resp.body) as { name: string }).name };
      },
    });
    assert.equal(r.total, 10_000, describeLoad(r));
    assert.equal(r.byStatus.get(200), 10_000, describeLoad(r));
    const v1 = (r.byKey.get('reviews-v1') ?? 0) / r.total;
    assert.ok(Math.abs(v1 - 0.8) <= 0.03, `v1 share ${v1} not within 0.80±0.03: ${describeLoad(r)}`);
  });

  it('reports Istio metrics from both sides with real workload labels', async () => {
    const client = parseExposition((await httpGet(`http://${s.client.admin}/stats/prometheus`)).body);
    const src = findSamples(client, 'istio_requests_total', { reporter: 'source', destination_workload: 'reviews-v2', response_code: '200' });
    assert.ok(src.length === 1, `expected one source series to reviews-v2, got ${JSON.stringify(src)}`);
    const l = src[0]!.labels;
    assert.equal(l.source_workload, 'productpage');
    assert.equal(l.source_app, 'productpage');
    assert.equal(l.source_version, 'v1');
    assert.equal(l.source_workload_namespace, 'default');
    assert.equal(l.source_canonical_service, 'productpage');
    assert.equal(l.destination_app, 'reviews');
    assert.equal(l.destination_version, 'v2');
    assert.equal(l.destination_workload_namespace, 'default');
    assert.equal(l.destination_service, 'reviews.default.svc.cluster.local');
    assert.equal(l.destination_service_name, 'reviews');
    assert.equal(l.destination_service_namespace, 'default');
    assert.equal(l.destination_canonical_service, 'reviews');
    assert.equal(l.destination_canonical_revision, 'v2');
    assert.equal(l.request_protocol, 'http');
    assert.equal(l.response_flags, '-');
    assert.equal(l.connection_security_policy, 'unknown');
    assert.ok(src[0]!.value > 0);

    const server = parseExposition((await httpGet(`http://${s.servers[1]!.admin}/stats/prometheus`)).body);
    // Plaintext hop (no mTLS in this scenario): the server does not believe the caller's metadata
    // header (it could be forged), so its source labels are "unknown"; over mTLS they are the
    // caller's (test/mtls.test.ts).
    const dst = findSamples(server, 'istio_requests_total', { reporter: 'destination', source_workload: 'unknown' });
    assert.equal(dst.length, 1, JSON.stringify(dst));
    const d = dst[0]!.labels;
    assert.equal(d.destination_workload, 'reviews-v2');
    assert.equal(d.destination_app, 'reviews');
    assert.equal(d.destination_version, 'v2');
    assert.equal(d.destination_service, 'reviews.default.svc.cluster.local');
    assert.equal(d.source_app, 'unknown');
    assert.equal(d.source_principal, 'unknown');
    assert.equal(d.connection_security_policy, 'none');
    assert.equal(d.response_code, '200');
    // The destination counts what the source sent to it.
    assert.equal(dst[0]!.value, src[0]!.value);
    const hist = findSamples(server, 'istio_request_duration_milliseconds_count', { reporter: 'destination', source_workload: 'unknown' });
    assert.equal(hist[0]?.value, dst[0]!.value);
    for (const name of ['istio_request_bytes_count', 'istio_response_bytes_count']) {
      assert.equal(findSamples(server, name, { reporter: 'destination', source_workload: 'unknown' })[0]?.value, dst[0]!.value, name);
    }
    // The same content on the dedicated scrape port 15090.
    const scrape = parseExposition((await httpGet(`http://${s.servers[1]!.ip}:15090/stats/prometheus`)).body);
    assert.equal(findSamples(scrape, 'istio_requests_total', { reporter: 'destination', source_workload: 'unknown' })[0]?.value, dst[0]!.value);
  });

  it('applies a route change while traffic flows, with zero failed requests', async () => {
    const load = runLoad({
      concurrency: 8,
      maxRequests: 20_000,
      durationMs: 4_000,
      send: async () => {
        const resp = await viaSidecar(s.client.ip, s.host, '/reviews/2', { agent });
        return { status: resp.status, key: (JSON.parse(resp.body) as { name: string }).name };
      },
    });
    await new Promise((r) => setTimeout(r, 1000));
    writeConfig(s.cp.configDir, 'vs.yaml', VS([0, 100]));
    const r = await load;
    assert.equal(r.errors.length, 0, describeLoad(r));
    assert.deepEqual([...r.byStatus.keys()], [200], describeLoad(r));
    await waitFor('new route synced', () => allSynced(s.cp.http, 3));
    for (let i = 0; i < 20; i++) assert.equal(await who('/reviews/3'), 'reviews-v2');
  });
});
