// consistentHash through real sidecars and upstream processes: a header value always reaches the
// same endpoint (ring hash); adding a third endpoint (a registry change) moves only a minority of
// keys, all of them to the new endpoint; a cookie policy with a ttl sets the cookie when it is
// missing (maglev) and the client then sticks to one endpoint.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ProxyHandle } from './harness/processes.js';
import { keepAliveAgent, viaSidecar } from './harness/http.js';
import { allSynced, writeConfig } from './harness/config.js';

const SUBNET = '127.0.33';
const ip = (n: number): string => `${SUBNET}.${n}`;
const STICKY = 'sticky.default.svc.cluster.local';
const JAR = 'jar.default.svc.cluster.local';

interface Instance {
  name: string;
  workload: string;
  service: string;
  n: number;
}

const STICKY_INSTANCES: Instance[] = [0, 1, 2].map((i) => ({ name: `sticky-${i}`, workload: 'sticky', service: 'sticky', n: 11 + i }));
const JAR_INSTANCES: Instance[] = [0, 1].map((i) => ({ name: `jar-${i}`, workload: 'jar', service: 'jar', n: 21 + i }));

const CONFIG = ['sticky', 'jar']
  .map(
    (s) => `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: ${s}, namespace: default, labels: {app: ${s}}}
spec:
  service: ${s}
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
`,
  )
  .concat(
    `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: sticky, namespace: default}
spec:
  host: sticky
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpHeaderName: x-user
        ringHash: {minimumRingSize: 1024}
`,
    `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: jar, namespace: default}
spec:
  host: jar
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {name: session, path: /, ttl: 3600s}
        maglev: {tableSize: 65537}
`,
  )
  .join('---\n');

function registry(instances: readonly Instance[]): string {
  return instances
    .map(
      (i) => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${i.name}, namespace: default, labels: {app: ${i.service}, weft.dev/workload: ${i.workload}}}
spec:
  address: ${ip(i.n)}
  ports: {http: 80}
  labels: {app: ${i.service}, weft.dev/workload: ${i.workload}}
`,
    )
    .join('---\n');
}

const USERS = Array.from({ length: 20 }, (_, i) => `user-${i}`);

describe('consistent hash through sidecars', { timeout: 180_000 }, () => {
  let client: ProxyHandle;
  let registryDir: string;
  let cpHttp: string;
  const agent = keepAliveAgent(32);

  const who = async (host: string, headers: Record<string, string>): Promise<{ name: string; setCookie: string[] | undefined }> => {
    const r = await viaSidecar(client.ip, host, '/', { agent, headers });
    assert.equal(r.status, 200, r.body);
    return { name: (JSON.parse(r.body) as { name: string }).name, setCookie: r.headers['set-cookie'] };
  };

  /** Each user's endpoint over `rounds` requests; fails if one user ever reached two endpoints. */
  const mapping = async (rounds: number): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    await Promise.all(
      USERS.map(async (u) => {
        const seen = new Set<string>();
        for (let i = 0; i < rounds; i++) seen.add((await who(STICKY, { 'x-user': u })).name);
        assert.equal(seen.size, 1, `${u} reached ${[...seen].join(', ')}`);
        out.set(u, [...seen][0]!);
      }),
    );
    return out;
  };

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    registryDir = path.join(stateDir, 'registry');
    fs.mkdirSync(registryDir, { recursive: true });
    writeConfig(configDir, 'mesh.yaml', CONFIG);
    const initial = [...STICKY_INSTANCES.slice(0, 2), ...JAR_INSTANCES];
    writeConfig(registryDir, 'instances.yaml', registry(initial));
    const cp = await startControlPlane({ configDir, stateDir, xdsPort: 25910, httpPort: 25914 });
    cpHttp = cp.http;
    const all = [...STICKY_INSTANCES, ...JAR_INSTANCES];
    await Promise.all(all.map((i) => startUpstream(i.name, ip(i.n), 9080)));
    await Promise.all(all.map((i) => startProxy({ xds: cp.xds, ip: ip(i.n), name: i.name, workload: i.workload, labels: { app: i.service } })));
    client = await startProxy({ xds: cp.xds, ip: ip(2), name: 'caller-0', workload: 'caller', labels: { app: 'caller' } });
    await waitFor('synced', () => allSynced(cp.http, all.length + 1));
    await waitFor('sticky reachable', async () => (await viaSidecar(client.ip, STICKY, '/')).status === 200);
    await waitFor('jar reachable', async () => (await viaSidecar(client.ip, JAR, '/')).status === 200);
  });
  after(async () => {
    agent.destroy();
    await stopAll();
  });

  let before2: Map<string, string>;

  it('header-sticks: each of 20 x-user values reaches one endpoint over 200 requests', async () => {
    before2 = await mapping(200);
    const used = new Set(before2.values());
    assert.equal(used.size, 2, `20 users should spread over both endpoints: ${JSON.stringify([...before2])}`);
    const perHost = [...used].map((h) => `${h}: ${[...before2.values()].filter((v) => v === h).length}`);
    console.log(`consistent hash: 20 users x 200 requests, each on one endpoint (${perHost.join(', ')})`);
  });

  it('third-endpoint-moves-a-minority: a registry change adds sticky-2; only some keys move, all to it', async () => {
    writeConfig(registryDir, 'instances.yaml', registry([...STICKY_INSTANCES, ...JAR_INSTANCES]));
    await waitFor('sticky-2 receives traffic', async () => {
      for (const u of USERS) if ((await who(STICKY, { 'x-user': u })).name === 'sticky-2') return true;
      return false;
    });
    await waitFor('synced', () => allSynced(cpHttp, STICKY_INSTANCES.length + JAR_INSTANCES.length + 1));
    const after3 = await mapping(50);
    const moved = USERS.filter((u) => after3.get(u) !== before2.get(u));
    for (const u of moved) assert.equal(after3.get(u), 'sticky-2', `${u} moved from ${before2.get(u)} to ${after3.get(u)}, not to the new endpoint`);
    assert.ok(moved.length >= 1 && moved.length < USERS.length / 2, `${moved.length} of ${USERS.length} keys moved`);
    console.log(`consistent hash: adding a third endpoint moved ${moved.length} of ${USERS.length} keys (ideal ~${(USERS.length / 3).toFixed(1)}), all to sticky-2`);
  });

  it('cookie-set-when-missing-then-sticks: Set-Cookie on the first response; the cookie keeps one endpoint', async () => {
    const endpoints = new Set<string>();
    for (let c = 0; c < 12; c++) {
      const first = await who(JAR, {});
      const set = first.setCookie?.[0];
      assert.ok(set, 'no Set-Cookie on a request without the cookie');
      const m = /^session="([0-9a-f]+)"; Max-Age=3600; Path=\/; HttpOnly$/.exec(set);
      assert.ok(m, set);
      const cookie = `session="${m[1]!}"`;
      const seen = new Set<string>([first.name]);
      for (let i = 0; i < 50; i++) {
        const r = await who(JAR, { cookie: `other=1; ${cookie}` });
        assert.equal(r.setCookie, undefined, 'Set-Cookie sent although the request had the cookie');
        seen.add(r.name);
      }
      assert.equal(seen.size, 1, `cookie ${cookie} reached ${[...seen].join(', ')}`);
      endpoints.add(first.name);
    }
    assert.equal(endpoints.size, 2, 'generated cookies should spread clients over both endpoints');
  });
});
