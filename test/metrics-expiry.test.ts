// Cardinality protection: a proxy started with --metrics-expiry-seconds 2 drops a series that has
// not been updated for 2 s from its scrape, and counts it from zero when traffic comes back; a
// proxy with the default (10 minutes) keeps its series; metrics without labels never expire.
// Also: the cluster name set on the proxies (--cluster, as `weft up --cluster-id` sets it) is the
// source_cluster / destination_cluster (and _id) labels on both reporters, and canonical service/revision
// come from the service.istio.io/canonical-name / -revision labels, else app / version.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { allSynced, writeConfig } from './harness/config.js';
import { httpGet, viaSidecar } from './harness/http.js';
import { meshIdentity } from './harness/mesh-identity.js';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ProxyHandle } from './harness/processes.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.53';
const ip = (n: number): string => `${SUBNET}.${n}`;
const HOST = 'ratings.default.svc.cluster.local';

const CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: ratings, namespace: default, labels: {app: ratings, version: v1}}
spec:
  service: ratings
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
`;

const REGISTRY = `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ratings-0, namespace: default}
spec:
  address: ${ip(11)}
  ports: {http: 80}
  labels: {app: ratings, version: v1, weft.dev/workload: ratings, security.istio.io/tlsMode: istio}
  serviceAccount: ratings
`;

describe('metrics series expiry', { timeout: 120_000 }, () => {
  let client: ProxyHandle;
  let server: ProxyHandle;

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'mesh.yaml', CONFIG);
    writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', REGISTRY);
    // mTLS as in `weft up`: the server trusts the client's workload metadata only over mTLS.
    const id = meshIdentity(stateDir, ip(1), [
      { namespace: 'default', workload: 'ratings', serviceAccount: 'ratings' },
      { namespace: 'default', workload: 'web', serviceAccount: 'web' },
    ]);
    const cp = await startControlPlane({ configDir, stateDir, host: ip(1), xdsPort: 15010, httpPort: 15014, extraArgs: id.cpArgs });
    await startUpstream('ratings', ip(11), 9080);
    server = await startProxy({ xds: cp.xds, ip: ip(11), name: 'ratings-0', workload: 'ratings', labels: { app: 'ratings', version: 'v1', 'service.istio.io/canonical-name': 'ratings-canon', 'service.istio.io/canonical-revision': 'r7' }, serviceAccount: 'ratings', extraArgs: ['--cluster', 'east', ...id.proxyArgs('ratings')] });
    client = await startProxy({
      xds: cp.xds,
      ip: ip(2),
      name: 'web-0',
      workload: 'web',
      labels: { app: 'web', version: 'v1' },
      serviceAccount: 'web',
      extraArgs: ['--metrics-expiry-seconds', '2', '--cluster', 'west', ...id.proxyArgs('web')],
    });
    await waitFor('synced', () => allSynced(cp.http, 2));
    await waitFor('ratings reachable', async () => (await viaSidecar(client.ip, HOST, '/')).status === 200);
  });
  after(() => stopAll());

  const samples = async (p: ProxyHandle, reporter: string): Promise<number[]> => {
    const m = parseExposition((await httpGet(`http://${p.admin}/stats/prometheus`)).body);
    return findSamples(m, 'istio_requests_total', { reporter, destination_service_name: 'ratings', response_code: '200' }).map((s) => s.value);
  };

  it('the proxies\' --cluster and canonical labels reach both reporters', async () => {
    assert.equal((await viaSidecar(client.ip, HOST, '/')).status, 200);
    for (const [p, reporter] of [[client, 'source'], [server, 'destination']] as const) {
      const m = parseExposition((await httpGet(`http://${p.admin}/stats/prometheus`)).body);
      const got = findSamples(m, 'istio_requests_total', { reporter, destination_service_name: 'ratings' });
      assert.equal(got.length, 1, reporter);
      assert.equal(got[0]?.labels['source_cluster'], 'west', reporter);
      assert.equal(got[0]?.labels['destination_cluster'], 'east', reporter);
      assert.equal(got[0]?.labels['source_cluster_id'], 'west', reporter);
      assert.equal(got[0]?.labels['destination_cluster_id'], 'east', reporter);
      // Canonical service/revision: the canonical-name/-revision labels win over app/version.
      assert.equal(got[0]?.labels['destination_canonical_service'], 'ratings-canon', reporter);
      assert.equal(got[0]?.labels['destination_canonical_revision'], 'r7', reporter);
      assert.equal(got[0]?.labels['destination_app'], 'ratings', reporter);
      assert.equal(got[0]?.labels['source_canonical_service'], 'web', reporter);
      assert.equal(got[0]?.labels['source_canonical_revision'], 'v1', reporter);
    }
  });

  it('an idle series leaves the scrape after the expiry and restarts from zero', async () => {
    assert.equal((await viaSidecar(client.ip, HOST, '/')).status, 200);
    assert.equal((await samples(client, 'source')).length, 1);
    await waitFor('source series expired', async () => (await samples(client, 'source')).length === 0, 20_000);
    const text = (await httpGet(`http://${client.admin}/stats/prometheus`)).body;
    assert.match(text, /^envoy_server_uptime \d+$/m, 'metrics without labels stay');
    assert.match(text, /^process_cpu_seconds_total [\d.e+-]+$/m);
    // The server sidecar keeps the default 10 minutes: its series is still there.
    assert.ok(((await samples(server, 'destination'))[0] ?? 0) >= 2);
    assert.equal((await viaSidecar(client.ip, HOST, '/')).status, 200);
    assert.deepEqual(await samples(client, 'source'), [1]);
  });
});
