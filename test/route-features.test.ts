// VirtualService route features through real sidecars, a real control plane and real upstream
// processes: fault abort 50% and delay 30% (each within ±3% over 5,000 requests, delays found by
// response time), mirroring (copies counted at the mirror, Host ends in -shadow, a mirror that
// takes 2 s leaves the caller's p99 low), header set/add/remove both ways, redirect, direct
// response and a CORS preflight answered by the client's sidecar.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startScenario, type Scenario } from './harness/scenario.js';
import { startUpstream, stopAll, waitFor } from './harness/processes.js';
import { httpGet, keepAliveAgent, viaSidecar } from './harness/http.js';
import { allSynced, writeConfig } from './harness/config.js';
import { describe as describeLoad, runLoad } from './harness/load.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.32';
const SHADOW_HOST = 'shadow.example.internal';

const CONFIG = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: shadow, namespace: default}
spec:
  hosts: [${SHADOW_HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP, targetPort: 9080}]
  endpoints: [{address: ${SUBNET}.13, ports: {http: 9080}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /ready}}]
    route: [{destination: {host: reviews}}]
  - match: [{uri: {prefix: /fault}}]
    fault:
      delay: {fixedDelay: 20ms, percentage: {value: 30}}
      abort: {httpStatus: 503, percentage: {value: 50}}
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{uri: {prefix: /mirror}}]
    mirror: {host: ${SHADOW_HOST}}
    mirrorPercentage: {value: 100}
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{uri: {prefix: /headers}}]
    headers:
      request: {set: {x-set: route}, add: {x-add: added}, remove: [x-remove-me]}
      response: {set: {x-resp-set: "1"}, add: {x-resp-add: "2"}, remove: [x-upstream]}
    route:
    - destination: {host: reviews, subset: v1}
      headers: {request: {set: {x-destination: v1}}}
  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, authority: shop.example.com, redirectCode: 302}
  - match: [{uri: {exact: /teapot}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
  - match: [{uri: {prefix: /cors}}]
    corsPolicy:
      allowOrigins: [{exact: "https://app.example.com"}, {regex: "https://.*\\\\.dev\\\\.example\\\\.com"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-custom]
      exposeHeaders: [x-upstream]
      maxAge: 10m
      allowCredentials: true
    route: [{destination: {host: reviews, subset: v1}}]
`;

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

describe('VirtualService route features through sidecars', { timeout: 300_000 }, () => {
  let s: Scenario;
  const agent = keepAliveAgent(16);
  const count = async (ip: string): Promise<{ count: number; lastHost: string }> => JSON.parse((await httpGet(`http://${ip}:9080/__count`)).body) as { count: number; lastHost: string };

  before(async () => {
    s = await startScenario({ subnet: SUBNET, xdsPort: 25810, httpPort: 25814 });
    await startUpstream('shadow', `${SUBNET}.13`, 9080, { UPSTREAM_DELAY_MS: '2000' });
    writeConfig(s.cp.configDir, 'route-features.yaml', CONFIG);
    await waitFor('route features applied', async () => {
      if (!(await allSynced(s.cp.http, 3))) return false;
      return (await viaSidecar(s.client.ip, s.host, '/teapot')).status === 418;
    }, 20_000);
  });
  after(async () => {
    agent.destroy();
    await stopAll();
  });

  it('fault: abort 50% and delay 30% (20 ms), each within ±3% over 5,000 requests', async () => {
    const N = 5_000;
    const slow: boolean[] = [];
    const r = await runLoad({
      concurrency: 4,
      maxRequests: N,
      durationMs: 120_000,
      send: async (i) => {
        const t0 = performance.now();
        const res = await viaSidecar(s.client.ip, s.host, '/fault', { agent });
        slow[i] = performance.now() - t0 >= 19;
        if (res.status === 503) assert.equal(res.body, 'fault filter abort');
        return { status: res.status };
      },
    });
    assert.equal(r.total, N, describeLoad(r));
    const aborted = (r.byStatus.get(503) ?? 0) / N;
    const delayed = slow.filter(Boolean).length / N;
    process.stdout.write(`# fault: ${N} requests, aborted ${(aborted * 100).toFixed(2)}% (want 50), delayed ${(delayed * 100).toFixed(2)}% (want 30)\n`);
    assert.equal((r.byStatus.get(200) ?? 0) + (r.byStatus.get(503) ?? 0), N, describeLoad(r));
    assert.ok(Math.abs(aborted - 0.5) <= 0.03, `aborted ${aborted}`);
    // The client sidecar reports the flags: FI for aborts, DI for delays (DI,FI for both).
    const m = parseExposition((await httpGet(`http://${s.client.admin}/stats/prometheus`)).body);
    // Aborts are local replies made before forwarding; they still name the route's service.
    const flagged = (flag: string): number =>
      findSamples(m, 'istio_requests_total', { reporter: 'source', response_flags: flag, destination_service: s.host }).reduce((a, x) => a + x.value, 0);
    const fi = flagged('FI') + flagged('DI,FI');
    const di = flagged('DI') + flagged('DI,FI');
    assert.equal(fi, r.byStatus.get(503), 'every abort is flagged FI');
    assert.ok(Math.abs(di / N - 0.3) <= 0.03, `delayed (DI) ${di / N}`);
    // The delays really happen: at least as many slow responses as DI flags. (No upper bound: on
    // a loaded machine undelayed responses can take 20 ms too; the DI count above is the measure.)
    assert.ok(delayed >= di / N - 0.01, `DI flags ${di} vs measured delays ${delayed * N}`);
  });

  it('mirror: the mirror receives every copy with Host "-shadow", and its 2 s delay never reaches the caller', async () => {
    const before = (await count(`${SUBNET}.13`)).count;
    const N = 300;
    const times: number[] = [];
    const r = await runLoad({
      concurrency: 8,
      maxRequests: N,
      durationMs: 60_000,
      send: async (i) => {
        const t0 = performance.now();
        const res = await viaSidecar(s.client.ip, s.host, `/mirror?i=${i}`, i % 3 === 0 ? { agent, method: 'POST', body: 'm'.repeat(2048) } : { agent });
        times.push(performance.now() - t0);
        return { status: res.status };
      },
    });
    assert.equal(r.byStatus.get(200), N, describeLoad(r));
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 0.5);
    const p99 = percentile(times, 0.99);
    process.stdout.write(`# mirror: ${N} requests with a 2 s mirror, caller p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms\n`);
    assert.ok(p99 < 250, `caller p99 ${p99.toFixed(1)} ms with a slow mirror`);
    let seen = { count: 0, lastHost: '' };
    await waitFor('mirror copies arrive', async () => {
      seen = await count(`${SUBNET}.13`);
      return seen.count - before >= N;
    }, 20_000);
    process.stdout.write(`# mirror: ${seen.count - before} copies at the mirror, last Host "${seen.lastHost}"\n`);
    assert.equal(seen.count - before, N, 'exactly one copy per request');
    assert.equal(seen.lastHost, `${s.host}-shadow`);
  });

  it('headers: request and response set/add/remove, at route level and per destination', async () => {
    const res = await viaSidecar(s.client.ip, s.host, '/headers', { headers: { 'x-set': 'client', 'x-add': 'client', 'x-remove-me': 'yes' } });
    assert.equal(res.status, 200, res.body);
    const seen = (JSON.parse(res.body) as { headers: Record<string, string> }).headers;
    assert.equal(seen['x-set'], 'route', 'set overwrites');
    assert.equal(seen['x-add'], 'client, added', 'add appends');
    assert.equal(seen['x-remove-me'], undefined, 'remove removes');
    assert.equal(seen['x-destination'], 'v1', 'destination-level headers');
    assert.equal(res.headers['x-resp-set'], '1');
    assert.equal(res.headers['x-resp-add'], '2');
    assert.equal(res.headers['x-upstream'], undefined, 'response header removed');
  });

  it('redirect and direct response: status, Location, body; the upstream is not called', async () => {
    const before = (await count(s.ip(11))).count + (await count(s.ip(12))).count;
    const red = await viaSidecar(s.client.ip, s.host, '/old/page?q=1');
    assert.equal(red.status, 302);
    assert.equal(red.headers.location, 'http://shop.example.com/new?q=1');
    const tea = await viaSidecar(s.client.ip, s.host, '/teapot');
    assert.equal(tea.status, 418);
    assert.equal(tea.body, 'short and stout');
    assert.equal((await count(s.ip(11))).count + (await count(s.ip(12))).count, before);
  });

  it('CORS: preflight from an allowed origin answered by the sidecar; others forwarded; responses carry allow-origin', async () => {
    const before = (await count(s.ip(11))).count;
    const pre = await viaSidecar(s.client.ip, s.host, '/cors', {
      method: 'OPTIONS',
      headers: { origin: 'https://x.dev.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' },
    });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://x.dev.example.com');
    assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(pre.headers['access-control-allow-headers'], 'x-custom');
    assert.equal(pre.headers['access-control-max-age'], '600');
    assert.equal(pre.headers['access-control-allow-credentials'], 'true');
    assert.equal((await count(s.ip(11))).count, before, 'the preflight did not reach the app');

    const other = await viaSidecar(s.client.ip, s.host, '/cors', { method: 'OPTIONS', headers: { origin: 'https://evil.com', 'access-control-request-method': 'POST' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    assert.equal((await count(s.ip(11))).count, before + 1, 'a preflight from another origin goes to the app');

    const get = await viaSidecar(s.client.ip, s.host, '/cors', { headers: { origin: 'https://app.example.com' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(get.headers['access-control-expose-headers'], 'x-upstream');
    const plain = await viaSidecar(s.client.ip, s.host, '/cors', { headers: { origin: 'https://evil.com' } });
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
  });
});
