// Config that a proxy rejects is NACKed and the last good config keeps serving; traffic survives a
// control plane restart; an invalid file in the watched directory is reported and skipped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startScenario, type Scenario } from './harness/scenario.js';
import { startControlPlane, startProxy, stopAll, waitFor, type ControlPlaneHandle } from './harness/processes.js';
import { keepAliveAgent, request, viaSidecar } from './harness/http.js';
import { allSynced, applyConfig, syncz, writeConfig } from './harness/config.js';
import { describe as describeLoad, runLoad } from './harness/load.js';

const GATEWAY = (ports: number[]): string => `
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
${ports.map((p) => `  - port: {number: ${p}, name: http-${p}, protocol: HTTP}\n    hosts: ["*"]`).join('\n')}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: front, namespace: default}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /reviews/}}]
    rewrite: {uri: /}
    route: [{destination: {host: reviews, subset: v1}}]
`;

describe('config resilience', { timeout: 180_000 }, () => {
  let s: Scenario;
  const agent = keepAliveAgent(8);

  before(async () => {
    s = await startScenario({ subnet: '127.0.11', xdsPort: 25210, httpPort: 25214, extraConfig: `---\n${GATEWAY([80])}` });
    await startProxy({
      xds: s.cp.xds,
      ip: s.ip(100),
      name: 'ingress-0',
      workload: 'istio-ingressgateway',
      namespace: 'istio-system',
      type: 'router',
      labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
      portMap: '80=18080,8080=18080',
    });
    await waitFor('synced', () => allSynced(s.cp.http, 4));
  });
  after(async () => {
    agent.destroy();
    await stopAll();
  });

  const viaGateway = async (path: string): Promise<{ status: number; name: string }> => {
    const r = await request(`http://${s.ip(100)}:18080${path}`, { agent });
    return { status: r.status, name: r.status === 200 ? (JSON.parse(r.body) as { name: string; path: string }).name : '' };
  };

  it('the gateway routes by prefix with rewrite', async () => {
    const r = await request(`http://${s.ip(100)}:18080/reviews/abc?q=1`, { agent });
    assert.equal(r.status, 200, r.body);
    const body = JSON.parse(r.body) as { name: string; path: string; headers: Record<string, string> };
    assert.equal(body.name, 'reviews-v1');
    assert.equal(body.path, '/abc?q=1');
    assert.ok(body.headers['x-forwarded-for'], 'gateway sets x-forwarded-for');
    assert.match(body.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    assert.equal((await viaGateway('/other')).status, 404);
  });

  it('a listener the proxy cannot apply is NACKed, visible in status, and the old config keeps serving', async () => {
    // Server ports 80 and 8080 both map to 18080 on this gateway: the proxy must refuse.
    writeConfig(s.cp.configDir, 'gw.yaml', GATEWAY([80, 8080]).replace(/name: gw,/, 'name: gw2,').replace(/gateways: \[gw\]/, 'gateways: [gw, gw2]').replace(/name: front,/, 'name: front2,'));
    await waitFor('NACK visible', async () => {
      const st = (await syncz(s.cp.http)).find((p) => p.name === 'ingress-0');
      return st?.types.lds.status === 'NACK';
    });
    const st = (await syncz(s.cp.http)).find((p) => p.name === 'ingress-0');
    assert.match(st?.types.lds.nack ?? '', /address: .*18080 is also used by listener/);
    for (let i = 0; i < 10; i++) assert.deepEqual(await viaGateway('/reviews/x'), { status: 200, name: 'reviews-v1' });
    writeConfig(s.cp.configDir, 'gw.yaml', '# removed\n');
    await waitFor('recovered', () => allSynced(s.cp.http, 4));
  });

  it('an invalid file is reported and skipped; apply of invalid config fails with the field path', async () => {
    writeConfig(s.cp.configDir, 'bad.yaml', `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bad}\nspec:\n  hosts: [reviews]\n  http:\n  - route: [{destination: {host: reviews}, weight: "lots"}]\n`);
    await waitFor('error logged', () => /bad\.yaml.*weight/.test(s.cp.output()));
    const r = await applyConfig(s.cp.http, `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: d}\nspec:\n  host: reviews\n  subsets: [{name: v1}]\n`);
    assert.equal(r.status, 400);
    assert.match(JSON.stringify(r.body.errors), /spec\.subsets\[0\]\.labels/);
    for (let i = 0; i < 10; i++) assert.equal((await viaSidecar(s.client.ip, s.host, '/x', { agent })).status, 200);
  });

  it('traffic keeps flowing while the control plane restarts, and proxies reconnect', async () => {
    // Something applied through the API (with a timeout, which the stored form must keep) survives.
    const applied = await applyConfig(s.cp.http, `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ratings}\nspec:\n  hosts: [ratings.example.internal]\n  http:\n  - route: [{destination: {host: reviews}}]\n    timeout: 2.5s\n`);
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    const load = runLoad({
      concurrency: 4,
      maxRequests: 50_000,
      durationMs: 6_000,
      send: async () => ({ status: (await viaSidecar(s.client.ip, s.host, '/during-restart', { agent })).status }),
    });
    await new Promise((r) => setTimeout(r, 500));
    await s.cp.stop();
    await new Promise((r) => setTimeout(r, 1500));
    const cp2: ControlPlaneHandle = await startControlPlane({ configDir: s.cp.configDir, stateDir: s.cp.stateDir, xdsPort: 25210, httpPort: 25214 });
    const r = await load;
    assert.equal(r.errors.length, 0, describeLoad(r));
    assert.deepEqual([...r.byStatus.keys()], [200], describeLoad(r));
    assert.ok(r.total > 100, describeLoad(r));
    await waitFor('proxies reconnected and synced', () => allSynced(cp2.http, 4), 20_000);
    const vs = await request(`http://${cp2.http}/debug/config?kind=VirtualService&name=ratings`);
    assert.match(vs.body, /"timeoutMs": ?2500/, vs.body);
  });
});
