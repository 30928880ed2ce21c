// Circuit breaking and outlier detection through real sidecars against real upstream processes:
// with maxConnections 1 and http1MaxPendingRequests 1, concurrent callers get fast 503 UO while the
// upstream never serves more than one request at a time; an always-failing endpoint is ejected
// within one interval, gets no traffic while out, and returns after baseEjectionTime;
// maxEjectionPercent keeps the last healthy-looking host in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ProxyHandle } from './harness/processes.js';
import { httpGet, viaSidecar, type Resp } from './harness/http.js';
import { allSynced, writeConfig } from './harness/config.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.31';
const ip = (n: number): string => `${SUBNET}.${n}`;
const SLOW = 'slow.default.svc.cluster.local';
const FLAKY = 'flaky.default.svc.cluster.local';
const SLOW_CLUSTER = `outbound|80||${SLOW}`;
const FLAKY_CLUSTER = `outbound|80||${FLAKY}`;
const INTERVAL_MS = 500;
const BASE_EJECTION_MS = 3000;

const INSTANCES = [
  { name: 'slow-0', workload: 'slow', service: 'slow', version: 'v1', n: 21 },
  { name: 'flaky-a-0', workload: 'flaky-a', service: 'flaky', version: 'a', n: 31 },
  { name: 'flaky-b-0', workload: 'flaky-b', service: 'flaky', version: 'b', n: 32 },
];

function config(): string {
  const workloads = [...new Set(INSTANCES.map((i) => i.workload))].map((w) => {
    const i = INSTANCES.find((x) => x.workload === w)!;
    return `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: ${w}, namespace: default, labels: {app: ${i.service}, version: ${i.version}}}
spec:
  service: ${i.service}
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
`;
  });
  return [
    ...workloads,
    `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: slow, namespace: default}
spec:
  host: slow
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1}
`,
    `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: flaky, namespace: default}
spec:
  host: flaky
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection:
      consecutive5xxErrors: 3
      interval: ${INTERVAL_MS}ms
      baseEjectionTime: ${BASE_EJECTION_MS}ms
      maxEjectionPercent: 50
`,
  ].join('---\n');
}

function registry(): string {
  return INSTANCES.map(
    (i) => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${i.name}, namespace: default, labels: {app: ${i.service}, version: ${i.version}, weft.dev/workload: ${i.workload}}}
spec:
  address: ${ip(i.n)}
  ports: {http: 80}
  labels: {app: ${i.service}, version: ${i.version}, weft.dev/workload: ${i.workload}}
`,
  ).join('---\n');
}

interface Timed extends Resp {
  ms: number;
  who: string;
}

describe('circuit breaking and outlier detection through sidecars', { timeout: 180_000 }, () => {
  let client: ProxyHandle;

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'mesh.yaml', config());
    writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', registry());
    const cp = await startControlPlane({ configDir, stateDir, xdsPort: 25710, httpPort: 25714 });
    await Promise.all(
      INSTANCES.map((i) => startUpstream(i.workload, ip(i.n), 9080, i.workload === 'flaky-a' ? { UPSTREAM_FAIL_STATUS: '503' } : {})),
    );
    await Promise.all(
      INSTANCES.map((i) => startProxy({ xds: cp.xds, ip: ip(i.n), name: i.name, workload: i.workload, labels: { app: i.service, version: i.version } })),
    );
    client = await startProxy({ xds: cp.xds, ip: ip(2), name: 'caller-0', workload: 'caller', labels: { app: 'caller', version: 'v1' } });
    await waitFor('synced', () => allSynced(cp.http, INSTANCES.length + 1));
    await waitFor('slow reachable', async () => (await viaSidecar(client.ip, SLOW, '/')).status === 200);
  });
  after(() => stopAll());

  const call = async (host: string, p: string): Promise<Timed> => {
    const t = performance.now();
    const r = await viaSidecar(client.ip, host, p);
    let who = '';
    try {
      who = (JSON.parse(r.body) as { name: string }).name;
    } catch {
      // a local reply from the sidecar
    }
    return { ...r, ms: performance.now() - t, who };
  };

  const clientMetrics = async (): Promise<ReturnType<typeof parseExposition>> => parseExposition((await httpGet(`http://${client.admin}/stats/prometheus`)).body);

  it('max-connections-1-pending-1: 10 concurrent callers get fast 503 UO; the upstream never sees more than 1 at once', async () => {
    await httpGet(`http://${ip(21)}:9080/__concurrency?reset=1`);
    const results = await Promise.all(Array.from({ length: 10 }, () => call(SLOW, '/work?delay=300')));
    const ok = results.filter((r) => r.status === 200);
    const overflow = results.filter((r) => r.status === 503);
    assert.equal(ok.length + overflow.length, 10, JSON.stringify(results.map((r) => [r.status, r.body])));
    assert.ok(ok.length >= 1 && ok.length <= 2, `one served at once plus one pending: ${ok.length} succeeded`);
    for (const r of overflow) {
      assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
      assert.ok(r.ms < 200, `overflow answered in ${r.ms.toFixed(0)} ms, not fast`);
    }
    // The pending request waited for the first one's connection: about 2 × 300 ms.
    const slowest = Math.max(...ok.map((r) => r.ms));
    const conc = JSON.parse((await httpGet(`http://${ip(21)}:9080/__concurrency`)).body) as { max: number };
    assert.equal(conc.max, 1, 'upstream saw more than one request at once');

    const m = await clientMetrics();
    const uo = findSamples(m, 'envoy_cluster_upstream_rq_pending_overflow', { cluster_name: SLOW_CLUSTER });
    assert.equal(uo[0]?.value, overflow.length, JSON.stringify(uo));
    const flagged = findSamples(m, 'istio_requests_total', { reporter: 'source', response_flags: 'UO', response_code: '503' });
    assert.equal(flagged.reduce((n, s) => n + s.value, 0), overflow.length);
    console.log(
      `circuit breaking: ${ok.length} x 200 (slowest ${slowest.toFixed(0)} ms), ${overflow.length} x 503 UO ` +
        `(slowest ${Math.max(...overflow.map((r) => r.ms)).toFixed(0)} ms), upstream max concurrency ${conc.max}`,
    );
  });

  it('queued requests are served in order once the connection frees: sequential waves all succeed', async () => {
    for (let wave = 0; wave < 3; wave++) {
      const rs = await Promise.all([call(SLOW, '/w?delay=100'), call(SLOW, '/w?delay=100')]);
      assert.deepEqual(rs.map((r) => r.status), [200, 200]);
    }
  });

  let ejectedAt = 0;
  const countOf = async (n: number): Promise<number> => (JSON.parse((await httpGet(`http://${ip(n)}:9080/__count`)).body) as { count: number }).count;
  const ejectionsActive = async (): Promise<number | undefined> =>
    findSamples(await clientMetrics(), 'envoy_cluster_outlier_detection_ejections_active', { cluster_name: FLAKY_CLUSTER })[0]?.value;

  // What the caller sees depends on retries (Istio's default retries a 503 on another host), so
  // these tests watch the upstreams' own request counts and the sidecar's ejection gauge.
  it('ejects the always-failing endpoint within one interval and sends it no traffic', async () => {
    const start = performance.now();
    for (let i = 0; i < 40 && (await ejectionsActive()) !== 1; i++) await call(FLAKY, '/o');
    ejectedAt = performance.now();
    assert.equal(await ejectionsActive(), 1, 'flaky-a was not ejected');
    assert.ok(ejectedAt - start < INTERVAL_MS, `ejection took ${(ejectedAt - start).toFixed(0)} ms`);
    const before = await countOf(31);
    const rs: Timed[] = [];
    for (let i = 0; i < 30; i++) rs.push(await call(FLAKY, '/o'));
    assert.equal(await countOf(31), before, 'the ejected endpoint got traffic');
    assert.deepEqual([...new Set(rs.map((r) => `${r.status} ${r.who}`))], ['200 flaky-b']);
    console.log(`outlier detection: ejected ${(ejectedAt - start).toFixed(0)} ms after the first request (${before} requests reached flaky-a); 30/30 then reached flaky-b only`);
  });

  it('the ejected endpoint returns after baseEjectionTime (on the next interval sweep)', async () => {
    const before = await countOf(31);
    let back = 0;
    while (performance.now() - ejectedAt < BASE_EJECTION_MS + 3 * INTERVAL_MS + 2000) {
      await call(FLAKY, '/o');
      if ((await countOf(31)) > before) {
        back = performance.now() - ejectedAt;
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.ok(back > 0, 'flaky-a never came back');
    assert.ok(back >= BASE_EJECTION_MS - 50, `returned after ${back.toFixed(0)} ms, before baseEjectionTime`);
    assert.ok(back <= BASE_EJECTION_MS + INTERVAL_MS + 300, `returned after ${back.toFixed(0)} ms, later than one sweep after baseEjectionTime`);
    console.log(`outlier detection: flaky-a got traffic again ${back.toFixed(0)} ms after ejection (base ${BASE_EJECTION_MS} ms, interval ${INTERVAL_MS} ms)`);
  });

  it('maxEjectionPercent 50: with both endpoints failing only one is ejected; the other keeps serving', async () => {
    // flaky-a still fails and is ejected again (for 2 x base). Then every request fails (?fail=503)
    // on flaky-b too, which must stay in: ejecting it would make 100% of the hosts ejected.
    await waitFor('flaky-a ejected again', async () => {
      await call(FLAKY, '/o');
      return (await ejectionsActive()) === 1;
    });
    const bBefore = await countOf(32);
    const seen: number[] = [];
    const rs: Timed[] = [];
    for (let i = 0; i < 30; i++) {
      rs.push(await call(FLAKY, '/o?fail=503'));
      seen.push((await ejectionsActive()) ?? -1);
    }
    assert.deepEqual([...new Set(seen)], [1], 'more than one host ejected');
    assert.deepEqual([...new Set(rs.map((r) => `${r.status} ${r.who}`))], ['503 flaky-b'], JSON.stringify(rs.map((r) => [r.status, r.who, r.body.slice(0, 40)])));
    assert.ok((await countOf(32)) - bBefore >= 30);
    // And healthy again: flaky-b answers 200.
    assert.equal((await call(FLAKY, '/o')).who, 'flaky-b');
  });
});
