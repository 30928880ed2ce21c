// Locality failover end to end: a real control plane, a client sidecar in r1/a (--locality, xDS
// node.locality), and `reviews` with two instances in zone r1/a whose apps always answer 503 and
// two in r1/b that are healthy, each behind its own sidecar. outlierDetection is set, so locality
// load balancing is on: EDS gives zone a priority 0 and zone b priority 1 for this client.
//   (1) nothing ejected: every request goes to zone a (callers see its 503s);
//   (2) attempts 2, retryOn 5xx: with retryRemoteLocalities the second retry goes to zone b and
//       every request succeeds; without it all three attempts stay in zone a (callers see 503);
//   (3) once outlier detection ejects zone a's hosts, traffic spills to zone b.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ControlPlaneHandle, type ProxyHandle } from './harness/processes.js';
import { httpGet, viaSidecar } from './harness/http.js';
import { allSynced, writeConfig } from './harness/config.js';

const HOST = 'reviews.default.svc.cluster.local';
const CLUSTER = `outbound|80||${HOST}`;
const ZONE_A = ['127.0.40.11', '127.0.40.12'];
const ZONE_B = ['127.0.41.11', '127.0.41.12'];
const CLIENT_IP = '127.0.40.2';
const N = 40;

const workload = (name: string, locality: string): string => `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: ${name}, namespace: default, labels: {app: reviews}}
spec:
  service: reviews
  serviceAccount: reviews
  locality: ${locality}
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
`;

const entry = (name: string, workloadName: string, address: string, locality: string): string => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}, namespace: default}
spec:
  address: ${address}
  ports: {http: 80}
  labels: {app: reviews, weft.dev/workload: ${workloadName}}
  serviceAccount: reviews
  locality: ${locality}
`;

// Retries use a raised budget (each /remote request retries twice, more than the default 20%).
const VS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: default
  annotations: {retry.weft.dev/budget-percent: "400"}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /remote}}]
    retries: {attempts: 2, retryOn: 5xx, retryRemoteLocalities: true}
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /local}}]
    retries: {attempts: 2, retryOn: 5xx, retryRemoteLocalities: false}
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /once}}]
    retries: {attempts: 0}
    route: [{destination: {host: reviews}}]
`;

/** consecutive5xx 0: outlier detection on (so locality LB is on) but never ejecting on 5xx. */
const DR = (consecutive5xx: number): string => `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: ${consecutive5xx}, interval: 1s, baseEjectionTime: 300s, maxEjectionPercent: 100}
`;

interface ClusterView {
  name: string;
  hosts: { address: string; priority: number }[];
}

describe('locality failover and retryRemoteLocalities', { timeout: 300_000 }, () => {
  let cp: ControlPlaneHandle;
  let client: ProxyHandle;

  /** Requests each zone's apps have received so far. */
  const received = async (): Promise<{ a: number; b: number }> => {
    const count = async (ip: string): Promise<number> => (JSON.parse((await httpGet(`http://${ip}:9080/__count`)).body) as { count: number }).count;
    let a = 0;
    let b = 0;
    for (const ip of ZONE_A) a += await count(ip);
    for (const ip of ZONE_B) b += await count(ip);
    return { a, b };
  };

  /** Sends `n` requests one after another; returns statuses and the answering app per request. */
  const send = async (pathName: string, n: number): Promise<{ status: number; upstream: string }[]> => {
    const out: { status: number; upstream: string }[] = [];
    for (let i = 0; i < n; i++) {
      const r = await viaSidecar(CLIENT_IP, HOST, `${pathName}?i=${i}`);
      out.push({ status: r.status, upstream: String(r.headers['x-upstream'] ?? '-') });
    }
    return out;
  };

  const clientClusters = async (): Promise<ClusterView[]> => JSON.parse((await httpGet(`http://${client.admin}/clusters`)).body) as ClusterView[];

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'workloads.yaml', [workload('reviews-a', 'r1/a'), workload('reviews-b', 'r1/b')].join('---\n'));
    writeConfig(configDir, 'vs.yaml', VS);
    writeConfig(configDir, 'dr.yaml', DR(0));
    writeConfig(
      path.join(stateDir, 'registry'),
      'instances.yaml',
      [
        ...ZONE_A.map((ip, i) => entry(`reviews-a-${i}`, 'reviews-a', ip, 'r1/a')),
        ...ZONE_B.map((ip, i) => entry(`reviews-b-${i}`, 'reviews-b', ip, 'r1/b')),
      ].join('---\n'),
    );
    cp = await startControlPlane({ configDir, stateDir, xdsPort: 24040, httpPort: 24044 });
    await Promise.all([
      ...ZONE_A.map((ip, i) => startUpstream(`reviews-a-${i}`, ip, 9080, { UPSTREAM_FAIL_STATUS: '503' })),
      ...ZONE_B.map((ip, i) => startUpstream(`reviews-b-${i}`, ip, 9080)),
    ]);
    await Promise.all([
      ...ZONE_A.map((ip, i) => startProxy({ xds: cp.xds, ip, name: `reviews-a-${i}`, workload: 'reviews-a', labels: { app: 'reviews' }, serviceAccount: 'reviews', locality: 'r1/a' })),
      ...ZONE_B.map((ip, i) => startProxy({ xds: cp.xds, ip, name: `reviews-b-${i}`, workload: 'reviews-b', labels: { app: 'reviews' }, serviceAccount: 'reviews', locality: 'r1/b' })),
    ]);
    client = await startProxy({ xds: cp.xds, ip: CLIENT_IP, name: 'productpage-0', workload: 'productpage', labels: { app: 'productpage' }, locality: 'r1/a' });
    await waitFor('client has zone a at priority 0 and zone b at priority 1, and the routes', async () => {
      if (!(await allSynced(cp.http, 5))) return false;
      const c = (await clientClusters()).find((x) => x.name === CLUSTER);
      const prio = new Map((c?.hosts ?? []).map((h) => [h.address, h.priority]));
      const zonesRight = ZONE_A.every((ip) => prio.get(`${ip}:80`) === 0) && ZONE_B.every((ip) => prio.get(`${ip}:80`) === 1);
      return zonesRight && (await httpGet(`http://${client.admin}/config_dump`)).body.includes('previous_priorities');
    }, 30_000);
  });

  after(async () => {
    await stopAll();
  });

  it('(1) nothing ejected: all traffic stays in zone a', async () => {
    const before = await received();
    const rs = await send('/once', N);
    const after = await received();
    assert.deepEqual(rs.filter((r) => r.status !== 503 || !r.upstream.startsWith('reviews-a-')), [], 'every request answered 503 by a zone a app');
    assert.equal(after.a - before.a, N);
    assert.equal(after.b - before.b, 0, 'zone b saw nothing');
  });

  it('(2) retryRemoteLocalities: true sends the second retry to zone b; false keeps retries in zone a', async () => {
    let before = await received();
    const remote = await send('/remote', N);
    let after = await received();
    assert.deepEqual(remote.filter((r) => r.status !== 200 || !r.upstream.startsWith('reviews-b-')), [], 'every request succeeded via zone b');
    // update_frequency 2: the first two attempts use the normal load (zone a), the third skips it.
    assert.equal(after.a - before.a, 2 * N, 'two attempts per request in zone a');
    assert.equal(after.b - before.b, N, 'one attempt per request in zone b');

    before = await received();
    const local = await send('/local', N);
    after = await received();
    assert.deepEqual(local.filter((r) => r.status !== 503), [], 'callers see 503');
    assert.equal(after.a - before.a, 3 * N, 'all three attempts in zone a');
    assert.equal(after.b - before.b, 0, 'no retry left zone a');
  });

  it('(3) once outlier detection ejects zone a, traffic spills to zone b', async () => {
    writeConfig(cp.configDir, 'dr.yaml', DR(2));
    await waitFor('client has the ejecting outlier detection', async () => {
      if (!(await allSynced(cp.http, 5))) return false;
      return /"consecutive_5xx":\s*2\b/.test((await httpGet(`http://${client.admin}/config_dump`)).body);
    }, 30_000);
    // Two consecutive 503s eject a zone a host; the first ejection moves 30% of the load to zone b
    // (health 70 with overprovisioning 1.4), the second all of it.
    let streak = 0;
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < 400 && streak < 10 && Date.now() < deadline; i++) {
      const [r] = await send('/once', 1);
      streak = r?.status === 200 && r.upstream.startsWith('reviews-b-') ? streak + 1 : 0;
    }
    assert.equal(streak, 10, 'zone b answered 10 requests in a row');
    const metrics = (await httpGet(`http://${client.admin}/stats/prometheus`)).body;
    assert.match(metrics, new RegExp(`envoy_cluster_outlier_detection_ejections_active\\{cluster_name="${CLUSTER.replace(/[|.]/g, '\\$&')}"\\} 2`));

    const before = await received();
    const rs = await send('/once', N);
    const after = await received();
    assert.deepEqual(rs.filter((r) => r.status !== 200 || !r.upstream.startsWith('reviews-b-')), [], 'all served by zone b');
    assert.equal(after.a - before.a, 0, 'ejected zone a gets nothing');
    assert.equal(after.b - before.b, N);
  });
});
