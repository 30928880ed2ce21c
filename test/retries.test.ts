// VirtualService retries and timeouts through real sidecars against upstreams whose failures the
// test controls: a 50%-failing upstream becomes ≥ 99.9% success, perTryTimeout vs the route
// timeout (total wins), the retry budget caps retries against a 100%-failing upstream (URX), a
// body over the 64 KiB retry buffer is not retried, attempts 0 disables retries, Istio's default
// policy retries 503 and resets are retried, and a dead endpoint among live ones costs callers
// nothing under the default policy and budget (connect failures do not draw on the budget, and
// the retry picks a host not tried yet).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startScenario, type Scenario } from './harness/scenario.js';
import { stopAll, waitFor } from './harness/processes.js';
import { httpGet, keepAliveAgent, viaSidecar } from './harness/http.js';
import { allSynced, removeConfig, writeConfig } from './harness/config.js';
import { describe as describeLoad, runLoad } from './harness/load.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const VS = (marker: number, budgetPercent?: number): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
${budgetPercent === undefined ? '' : `  annotations: {retry.weft.dev/budget-percent: "${budgetPercent}"}`}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /marker-${marker}}}]
    rewrite: {uri: /marker-applied-${marker}}
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /default}}]
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /off}}]
    retries: {attempts: 0}
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /r}}]
    retries: {attempts: 15, retryOn: "5xx"}
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /slow}}]
    timeout: 1s
    retries: {attempts: 5, perTryTimeout: 300ms, retryOn: "5xx"}
    route: [{destination: {host: reviews}}]
`;

describe('retries and timeouts through sidecars', { timeout: 300_000 }, () => {
  let s: Scenario;
  const agent = keepAliveAgent(16);

  const apply = async (marker: number, budgetPercent?: number): Promise<void> => {
    writeConfig(s.cp.configDir, 'vs.yaml', VS(marker, budgetPercent));
    await waitFor(`virtual service ${marker} applied`, async () => {
      if (!(await allSynced(s.cp.http, 3))) return false;
      // Only this VirtualService rewrites the marker path, so the echo proves it is in effect
      // (the default route, before it arrives, would answer the marker with 200 too).
      const r = await viaSidecar(s.client.ip, s.host, `/marker-${marker}`);
      return r.status === 200 && r.body.includes(`"path":"/marker-applied-${marker}"`);
    }, 20_000);
  };
  /** Requests the two upstream apps have received so far. */
  const received = async (): Promise<number> => {
    let n = 0;
    for (const i of [11, 12]) n += (JSON.parse((await httpGet(`http://${s.ip(i)}:9080/__count`)).body) as { count: number }).count;
    return n;
  };
  const clientMetrics = async (): Promise<ReturnType<typeof parseExposition>> => parseExposition((await httpGet(`http://${s.client.admin}/stats/prometheus`)).body);

  before(async () => {
    s = await startScenario({ subnet: '127.0.30', xdsPort: 25610, httpPort: 25614 });
    await apply(1);
  });
  after(async () => {
    agent.destroy();
    await stopAll();
  });

  it("Istio's default policy retries a 503; attempts 0 disables retries", async () => {
    let before = await received();
    const d = await viaSidecar(s.client.ip, s.host, '/default?failTimes=1&key=default-1');
    assert.equal(d.status, 200, d.body);
    assert.ok((await received()) - before >= 2, 'the default route retried');

    before = await received();
    const off = await viaSidecar(s.client.ip, s.host, '/off?failTimes=1&key=off-1');
    assert.equal(off.status, 503);
    assert.equal((await received()) - before, 1, 'attempts 0: exactly one upstream request');
  });

  it('retries a reset connection (retryOn 5xx covers resets)', async () => {
    const r = await viaSidecar(s.client.ip, s.host, '/r?reset=1&failTimes=1&key=reset-1');
    assert.equal(r.status, 200, r.body);
  });

  it('replays a small POST body on retry, but never retries a body over the 64 KiB retry buffer', async () => {
    let before = await received();
    const small = await viaSidecar(s.client.ip, s.host, '/r?failTimes=1&key=post-small', { method: 'POST', body: 'x'.repeat(1024) });
    assert.equal(small.status, 200, small.body);
    assert.equal((JSON.parse(small.body) as { bodyBytes: number }).bodyBytes, 1024, 'the retry carried the whole body');
    assert.ok((await received()) - before >= 2);

    before = await received();
    const big = await viaSidecar(s.client.ip, s.host, '/r?failTimes=1&key=post-big', { method: 'POST', body: 'y'.repeat(100 * 1024) });
    assert.equal(big.status, 503, 'not retried');
    assert.equal((await received()) - before, 1, 'exactly one upstream request for the 100 KiB POST');
  });

  it('perTryTimeout retries a slow attempt; the route timeout caps the whole request (total wins)', async () => {
    // Each host is slow (800 ms > perTryTimeout 300 ms) the first time it sees the key: attempts
    // 1 and 2 time out, attempt 3 (first host again) answers at once, all within the 1 s total.
    let t0 = performance.now();
    const ok = await viaSidecar(s.client.ip, s.host, '/slow?delay=800&delayTimes=1&key=slow-1');
    let ms = performance.now() - t0;
    assert.equal(ok.status, 200, ok.body);
    assert.ok(ms >= 550 && ms < 1000, `answered after ${ms.toFixed(0)} ms (two per-try timeouts of 300 ms)`);

    // Always slow: 5 retries × 300 ms would take 1.8 s+, but the 1 s route timeout wins.
    t0 = performance.now();
    const late = await viaSidecar(s.client.ip, s.host, '/slow?delay=5000');
    ms = performance.now() - t0;
    assert.equal(late.status, 504, late.body);
    assert.equal(late.body, 'upstream request timeout');
    assert.ok(ms >= 950 && ms < 1500, `504 after ${ms.toFixed(0)} ms, expected about 1000`);
  });

  it('the retry budget caps retries against a 100%-failing upstream; responses carry URX', async () => {
    const before = await received();
    const t0 = performance.now();
    const r = await runLoad({
      concurrency: 8,
      maxRequests: 100_000,
      durationMs: 3_000,
      send: async () => ({ status: (await viaSidecar(s.client.ip, s.host, '/r?fail=503', { agent })).status }),
    });
    const seconds = (performance.now() - t0) / 1000;
    const upstream = (await received()) - before;
    const retries = upstream - r.total;
    const bound = 0.2 * r.total + 10 * Math.ceil(seconds + 1);
    process.stdout.write(`# budget: ${r.total} client requests in ${seconds.toFixed(2)} s, ${upstream} upstream requests, ${retries} retries (bound ${bound.toFixed(0)})\n`);
    assert.equal(r.byStatus.get(503), r.total, describeLoad(r));
    assert.ok(retries > 0, 'some retries happened');
    assert.ok(retries <= bound, `retries ${retries} exceed 20% of ${r.total} + 10/s`);
    // Without the budget, attempts 15 would have sent 16 upstream requests per client request.
    assert.ok(upstream < 2 * r.total, `${upstream} upstream requests for ${r.total}`);

    const m = await clientMetrics();
    const urx = findSamples(m, 'istio_requests_total', { reporter: 'source', response_flags: 'URX', response_code: '503' }).reduce((a, x) => a + x.value, 0);
    assert.ok(urx >= r.total * 0.9, `URX responses ${urx} of ${r.total}`);
    const counted = findSamples(m, 'envoy_cluster_upstream_rq_retry').reduce((a, x) => a + x.value, 0);
    assert.ok(counted >= retries, `envoy_cluster_upstream_rq_retry ${counted} >= ${retries}`);
    assert.ok(findSamples(m, 'envoy_cluster_upstream_rq_retry_overflow').reduce((a, x) => a + x.value, 0) > 0, 'budget overflow counted');
    // Let the budget window slide past the storm.
    await new Promise((res) => setTimeout(res, 1200));
  });

  it('turns a 50%-failing upstream into >= 99.9% success over 2,000 requests (budget raised by annotation)', async () => {
    await apply(2, 300);
    const before = await received();
    const r = await runLoad({
      concurrency: 16,
      maxRequests: 2_000,
      durationMs: 60_000,
      send: async () => ({ status: (await viaSidecar(s.client.ip, s.host, '/r?fail=503&rate=0.5', { agent })).status }),
    });
    const upstream = (await received()) - before;
    const ok = r.byStatus.get(200) ?? 0;
    process.stdout.write(`# 50% failing: ${ok}/${r.total} succeeded, ${upstream} upstream requests\n`);
    assert.equal(r.total, 2_000, describeLoad(r));
    assert.ok(ok / r.total >= 0.999, `success ${ok}/${r.total}: ${describeLoad(r)}`);
    assert.ok(upstream > r.total * 1.5, 'retries did the work');
  });

  it('a dead endpoint among live ones: zero failed requests under the default policy, whatever the budget', async () => {
    // Budget 0% + the default 10/s: far fewer retries than the dead endpoint causes, so this also
    // proves that connect failures do not draw on the budget.
    await apply(3, 0);
    // Nobody listens on ip(13): connecting is refused (UF). Labelled like reviews-v1's instance.
    writeConfig(s.cp.configDir, 'dead.yaml', `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-dead, namespace: default}
spec:
  address: ${s.ip(13)}
  ports: {http: 80}
  labels: {app: reviews, version: v1, weft.dev/workload: reviews-v1}
  serviceAccount: reviews
`);
    const clusterName = `outbound|80||${s.host}`;
    await waitFor('the dead endpoint reaches the client', async () => {
      const list = JSON.parse((await httpGet(`http://${s.client.admin}/clusters`)).body) as { name: string; hosts: { address: string }[] }[];
      return (list.find((c) => c.name === clusterName)?.hosts.length ?? 0) === 3;
    }, 20_000);
    const before = findSamples(await clientMetrics(), 'envoy_cluster_upstream_rq_retry', { cluster_name: clusterName }).reduce((a, x) => a + x.value, 0);
    const t0 = performance.now();
    const r = await runLoad({
      concurrency: 16,
      maxRequests: 3_000,
      durationMs: 60_000,
      send: async () => ({ status: (await viaSidecar(s.client.ip, s.host, '/default', { agent })).status }),
    });
    const retried = findSamples(await clientMetrics(), 'envoy_cluster_upstream_rq_retry', { cluster_name: clusterName }).reduce((a, x) => a + x.value, 0) - before;
    const seconds = (performance.now() - t0) / 1000;
    const budget = 10 * Math.ceil(seconds + 1);
    process.stdout.write(`# dead endpoint: ${r.byStatus.get(200) ?? 0}/${r.total} ok in ${seconds.toFixed(1)} s, ${retried} retries (budget would allow ${budget})\n`);
    assert.equal(r.total, 3_000, describeLoad(r));
    assert.equal(r.byStatus.get(200), 3_000, describeLoad(r));
    assert.ok(retried > budget, `connect failures were retried beyond the budget (${retried} > ${budget})`);
    removeConfig(s.cp.configDir, 'dead.yaml');
  });
});
