// What a client sees when things are missing or broken (404 NR, 503 UH, 503 UF), the response flags
// in metrics, and the control plane's own status surfaces: /metrics, /debug/syncz, and
// `weft proxy-status` / `weft get` run against the real control plane.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startScenario, type Scenario } from './harness/scenario.js';
import fs from 'node:fs';
import { startProxy, stopAll, tempDir, waitFor } from './harness/processes.js';
import { httpGet, viaSidecar } from './harness/http.js';
import { allSynced, applyConfig } from './harness/config.js';
import { REPO_ROOT } from './harness/repo.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const run = promisify(execFile);

const EXTRA = `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: dead, namespace: default}
spec:
  hosts: [dead.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.13.50, ports: {http: 9}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /v3}}]
    route: [{destination: {host: reviews, subset: v3}}]
  - match: [{uri: {prefix: /ok}}]
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{uri: {prefix: /rr}}]
    route: [{destination: {host: reviews}}]
`;

describe('failures and status', { timeout: 120_000 }, () => {
  let s: Scenario;
  before(async () => {
    s = await startScenario({ subnet: '127.0.13', xdsPort: 25410, httpPort: 25414, extraConfig: EXTRA });
    await applyConfig(
      `127.0.0.1:25414`,
      `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: default}\nspec:\n  host: reviews\n  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n  subsets:\n  - {name: v1, labels: {version: v1}}\n  - {name: v2, labels: {version: v2}}\n  - {name: v3, labels: {version: v3}}\n`,
    );
    await waitFor('v3 subset known', async () => {
      if (!(await allSynced(s.cp.http, 3))) return false;
      return (await viaSidecar(s.client.ip, s.host, '/v3')).body === 'no healthy upstream';
    });
  });
  after(() => stopAll());

  it('no route: 404 with flag NR', async () => {
    assert.equal((await viaSidecar(s.client.ip, s.host, '/nothing-matches')).status, 404);
  });

  it('subset without endpoints: 503 "no healthy upstream" with flag UH', async () => {
    const r = await viaSidecar(s.client.ip, s.host, '/v3/x');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'no healthy upstream');
  });

  it('endpoint refusing connections: 503 with flag UF', async () => {
    const r = await viaSidecar(s.client.ip, 'dead.default.svc.cluster.local', '/');
    assert.equal(r.status, 503);
    assert.match(r.body, /upstream connect error/);
  });

  it('response flags appear in istio_requests_total', async () => {
    assert.equal((await viaSidecar(s.client.ip, s.host, '/ok')).status, 200);
    const m = parseExposition((await httpGet(`http://${s.client.admin}/stats/prometheus`)).body);
    const flag = (f: string, code: string): number =>
      findSamples(m, 'istio_requests_total', { reporter: 'source', response_flags: f, response_code: code }).reduce((a, x) => a + x.value, 0);
    assert.ok(flag('NR', '404') >= 1, 'NR');
    assert.ok(flag('UH', '503') >= 1, 'UH');
    // Istio's default retry policy retries connect failures; once its 2 retries are spent the flag is UF,URX.
    assert.ok(flag('UF', '503') + flag('UF,URX', '503') >= 1, 'UF');
    assert.ok(flag('-', '200') >= 1, 'success');
  });

  it('control plane /metrics has the pilot metrics and end-to-end propagation', async () => {
    const m = parseExposition((await httpGet(`http://${s.cp.http}/metrics`)).body);
    assert.equal(findSamples(m, 'pilot_xds')[0]?.value, 3);
    for (const name of ['pilot_debounce_time_count', 'pilot_proxy_queue_time_count', 'pilot_proxy_convergence_time_count', 'weft_config_propagation_seconds_count']) {
      assert.ok((findSamples(m, name)[0]?.value ?? 0) > 0, `${name} observed`);
    }
    for (const t of ['cds', 'eds', 'lds', 'rds']) {
      assert.ok((findSamples(m, 'pilot_xds_pushes', { type: t })[0]?.value ?? 0) > 0, `pushes ${t}`);
      assert.ok((findSamples(m, 'pilot_xds_push_time_count', { type: t })[0]?.value ?? 0) > 0, `push time ${t}`);
    }
    assert.ok(findSamples(m, 'pilot_total_xds_rejects').length === 0 || findSamples(m, 'pilot_total_xds_rejects').every((x) => x.value === 0));
  });

  it('DestinationRule ROUND_ROBIN alternates between the endpoints', async () => {
    const names: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await viaSidecar(s.client.ip, s.host, '/rr');
      names.push((JSON.parse(r.body) as { name: string }).name);
    }
    for (let i = 2; i < names.length; i++) assert.equal(names[i], names[i - 2], names.join(','));
    assert.notEqual(names[0], names[1], names.join(','));
  });

  it('a proxy is not ready before it has its first full config', async () => {
    const lonely = await startProxy({ xds: '127.0.0.1:25499', ip: s.ip(60), name: 'lonely-0', workload: 'lonely', waitReady: false });
    await waitFor('admin up', async () => (await httpGet(`http://${lonely.admin}/ready`)).status > 0);
    const r = await httpGet(`http://${lonely.admin}/ready`);
    assert.equal(r.status, 503);
    assert.match(r.body, /waiting for initial config/);
    await lonely.stop();
  });

  it('weft apply, get and delete work against the running control plane', async () => {
    const weft = path.join(REPO_ROOT, 'bin/weft.js');
    const env = { ...process.env, WEFT_CONTROL_PLANE: s.cp.http };
    const dir = tempDir('apply');
    const file = path.join(dir, 'extra.yaml');
    fs.writeFileSync(file, `apiVersion: networking.istio.io/v1alpha3\nkind: ServiceEntry\nmetadata: {name: extra}\nspec:\n  hosts: [extra.default.svc.cluster.local]\n  location: MESH_INTERNAL\n  resolution: STATIC\n  ports: [{number: 80, name: http, protocol: HTTP}]\n  endpoints: [{address: ${s.ip(11)}, ports: {http: 80}}]\n`);
    const applied = await run(process.execPath, [weft, 'apply', '-f', file], { env });
    assert.match(applied.stdout, /ServiceEntry\/default\/extra/);
    await waitFor('extra routable', async () => (await viaSidecar(s.client.ip, 'extra.default.svc.cluster.local', '/')).status === 200);
    const yaml = (await run(process.execPath, [weft, 'get', 'serviceentry', 'extra', '-o', 'yaml'], { env })).stdout;
    assert.match(yaml, /kind: ServiceEntry/);
    assert.match(yaml, /extra\.default\.svc\.cluster\.local/);
    await run(process.execPath, [weft, 'delete', '-f', file], { env });
    // Gone from the registry: the sidecar drops its cluster (the host would now go to
    // PassthroughCluster, ALLOW_ANY, whose answer depends on this machine's DNS, so it is not asked).
    const EXTRA = 'outbound|80||extra.default.svc.cluster.local';
    await waitFor('extra gone', async () => !(await httpGet(`http://${s.client.admin}/config_dump`)).body.includes(EXTRA));
    // Invalid config is refused with the field path and changes nothing.
    fs.writeFileSync(file, `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: broken}\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}, weight: 200}]\n`);
    const bad = await run(process.execPath, [weft, 'apply', '-f', file], { env }).then(
      () => assert.fail('apply of invalid config must fail'),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stdout + bad.stderr, /spec\.http\[0\]\.route\[0\]\.weight/);
    assert.equal((await viaSidecar(s.client.ip, s.host, '/ok')).status, 200);
  });

  it('weft proxy-status and weft get work against the running control plane', async () => {
    const weft = path.join(REPO_ROOT, 'bin/weft.js');
    const env = { ...process.env, WEFT_CONTROL_PLANE: s.cp.http };
    const table = await run(process.execPath, [weft, 'proxy-status'], { env });
    assert.match(table.stdout, /productpage-0/);
    assert.match(table.stdout, /reviews-v1-0/);
    assert.match(table.stdout, /SYNCED/);
    const json = JSON.parse((await run(process.execPath, [weft, 'proxy-status', '-o', 'json'], { env })).stdout) as { name: string; workload: string; namespace: string; adminAddress: string; types: Record<string, { status: string }> }[];
    const rv = json.find((p) => p.name === 'reviews-v2-0');
    assert.equal(rv?.workload, 'reviews-v2');
    assert.equal(rv?.namespace, 'default');
    assert.equal(rv?.adminAddress, `${s.ip(12)}:15000`);
    for (const t of ['cds', 'eds', 'lds', 'rds']) assert.equal(rv?.types[t]?.status, 'SYNCED');
    const vs = JSON.parse((await run(process.execPath, [weft, 'get', 'vs', 'reviews', '-o', 'json'], { env })).stdout) as unknown;
    assert.match(JSON.stringify(vs), /"subset":"v3"/);
  });
});
