// DestinationRule limits on plain TCP (L4) traffic through real sidecars, control plane and
// upstream TCP apps (test/fixtures/tcp-counter.ts):
// - connectionPool.tcp.maxConnections 1 with http1MaxPendingRequests 1 (Envoy's max_pending_requests
//   is the queue bound for TCP too): while one connection is open, a second one waits in the
//   client sidecar (envoy_cluster_upstream_cx_overflow), a third is closed at once with UO
//   (istio_tcp_connections_opened/closed response_flags, envoy_cluster_upstream_rq_pending_overflow);
//   the upstream never holds more than one; when the first closes, the waiting one gets through.
// - outlierDetection on a TCP service with two endpoints, one refusing connections: its connect
//   failures (UF) eject it after consecutive5xxErrors, and every later connection succeeds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { allSynced, writeConfig } from './harness/config.js';
import { startControlPlane, startProcess, startProxy, stopAll, tempDir, waitFor, type Proc, type ProxyHandle } from './harness/processes.js';
import { httpGet } from './harness/http.js';
import { DIST } from './harness/repo.js';
import { parseExposition, findSamples } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.42';
const ip = (n: number): string => `${SUBNET}.${n}`;
const COUNTER_MAIN = path.join(DIST, 'test/fixtures/tcp-counter.js');
const LIMITED_PORT = 7400;
const FLAKY_PORT = 7500;
const LIMITED_CLUSTER = `outbound|${LIMITED_PORT}||limited.default.svc.cluster.local`;
const FLAKY_CLUSTER = `outbound|${FLAKY_PORT}||flaky.default.svc.cluster.local`;

const CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: limited, namespace: default, labels: {app: limited}}
spec:
  service: limited
  ports: [{name: tcp-limited, containerPort: 9400, servicePort: ${LIMITED_PORT}, protocol: TCP}]
  command: ["true"]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: flaky, namespace: default, labels: {app: flaky}}
spec:
  service: flaky
  ports: [{name: tcp-flaky, containerPort: 9500, servicePort: ${FLAKY_PORT}, protocol: TCP}]
  command: ["true"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: limited, namespace: default}
spec:
  host: limited
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: 1}, http: {http1MaxPendingRequests: 1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: flaky, namespace: default}
spec:
  host: flaky
  trafficPolicy:
    connectionPool: {tcp: {connectTimeout: 5s}}
    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 10m, maxEjectionPercent: 100}
`;

function registry(): string {
  const entry = (name: string, workload: string, app: string, addr: string, ports: string): string => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}, namespace: default}
spec:
  address: ${addr}
  ports: {${ports}}
  labels: {app: ${app}, weft.dev/workload: ${workload}}
`;
  return [
    entry('limited-0', 'limited', 'limited', ip(11), `tcp-limited: ${LIMITED_PORT}`),
    entry('flaky-0', 'flaky', 'flaky', ip(21), `tcp-flaky: ${FLAKY_PORT}`),
    // Nothing listens at ip(22): connections to it are refused.
    entry('flaky-1', 'flaky', 'flaky', ip(22), `tcp-flaky: ${FLAKY_PORT}`),
  ].join('---\n');
}

type Attempt = { sock: net.Socket; echoed: true } | { sock: null; echoed: false; got: string };

/** Connects through the client sidecar and sends "ping": open with its echo, or closed without. */
function attempt(clientIp: string, port: number, timeoutMs = 10_000): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: clientIp, port });
    let got = '';
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no echo and no close within ${timeoutMs}ms; got ${JSON.stringify(got)}`));
    }, timeoutMs);
    sock.on('error', () => undefined);
    sock.once('connect', () => sock.write('ping'));
    const onData = (d: Buffer): void => {
      got += d.toString();
      if (got === 'ping') {
        clearTimeout(t);
        sock.off('data', onData);
        sock.off('close', onClose);
        resolve({ sock, echoed: true });
      }
    };
    const onClose = (): void => {
      clearTimeout(t);
      resolve({ sock: null, echoed: false, got });
    };
    sock.on('data', onData);
    sock.once('close', onClose);
  });
}

function closeAndWait(sock: net.Socket): Promise<void> {
  return new Promise((r) => {
    if (sock.destroyed) return r();
    sock.once('close', () => r());
    sock.end();
  });
}

/** The counter app's last report: connections open now, most ever at once, accepted in total. */
function counts(app: Proc): { open: number; max: number; total: number } {
  const all = [...app.output().matchAll(/conns (\d+) max (\d+) total (\d+)/g)];
  const last = all[all.length - 1];
  return last ? { open: Number(last[1]), max: Number(last[2]), total: Number(last[3]) } : { open: 0, max: 0, total: 0 };
}

async function metric(admin: string, name: string, labels: Record<string, string>): Promise<number> {
  const m = parseExposition((await httpGet(`http://${admin}/stats/prometheus`)).body);
  return findSamples(m, name, labels).reduce((a, s) => a + s.value, 0);
}

describe('tcp connection limits and outlier detection through sidecars', { timeout: 180_000 }, () => {
  let client: ProxyHandle;
  let limitedApp: Proc;

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'base.yaml', CONFIG);
    writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', registry());
    const cp = await startControlPlane({ configDir, stateDir, host: ip(1), xdsPort: 26510, httpPort: 26514 });
    limitedApp = startProcess([COUNTER_MAIN], { COUNTER_HOST: ip(11), COUNTER_PORT: '9400' });
    const flakyApp = startProcess([COUNTER_MAIN], { COUNTER_HOST: ip(21), COUNTER_PORT: '9500' });
    for (const a of [limitedApp, flakyApp]) await waitFor('counter app', () => a.output().includes('upstream ready'), 10_000, a);
    await Promise.all([
      startProxy({ xds: cp.xds, ip: ip(11), name: 'limited-0', workload: 'limited', labels: { app: 'limited' } }),
      startProxy({ xds: cp.xds, ip: ip(21), name: 'flaky-0', workload: 'flaky', labels: { app: 'flaky' } }),
    ]);
    client = await startProxy({ xds: cp.xds, ip: ip(2), name: 'client-0', workload: 'client', labels: { app: 'client' } });
    await waitFor('all proxies synced', () => allSynced(cp.http, 3), 30_000);
  });
  after(async () => {
    await stopAll();
  });

  it('max-connections-1-queues-one-tcp-connection-and-closes-the-next-with-UO', async () => {
    const first = await attempt(client.ip, LIMITED_PORT);
    assert.ok(first.echoed, 'the first connection reaches the upstream');
    assert.equal(counts(limitedApp).open, 1);

    // The second is accepted by the sidecar and waits for a connection slot: its "ping" is held.
    const cluster = { cluster_name: LIMITED_CLUSTER };
    const second = attempt(client.ip, LIMITED_PORT, 60_000);
    await waitFor('the second connection is queued', async () => (await metric(client.admin, 'envoy_cluster_upstream_cx_overflow', cluster)) === 1);

    // The queue (http1MaxPendingRequests 1) is full: the third is closed at once, never echoed.
    const third = await attempt(client.ip, LIMITED_PORT);
    assert.equal(third.echoed, false, 'a connection beyond the queue is closed');
    assert.equal(third.echoed ? '' : third.got, '');
    assert.deepEqual(counts(limitedApp), { open: 1, max: 1, total: 1 }, 'only the first reached the upstream');
    const uo = { reporter: 'source', destination_service_name: 'limited', response_flags: 'UO' };
    assert.equal(await metric(client.admin, 'istio_tcp_connections_opened_total', uo), 1);
    assert.equal(await metric(client.admin, 'istio_tcp_connections_closed_total', uo), 1);
    assert.equal(await metric(client.admin, 'envoy_cluster_upstream_rq_pending_overflow', cluster), 1);

    // The first closes: its slot goes to the waiting second, whose held "ping" now comes back.
    await closeAndWait(first.sock);
    const r2 = await second;
    assert.ok(r2.echoed, 'the queued connection got through once the first closed');
    assert.equal(counts(limitedApp).max, 1, 'the upstream never held more than one connection');
    await closeAndWait(r2.sock);

    // And later connections work again (bounded tries: the slot frees once the upstream side closed).
    let next: Attempt | undefined;
    for (let i = 0; i < 50 && !next?.echoed; i++) next = await attempt(client.ip, LIMITED_PORT);
    assert.ok(next?.echoed, 'a new connection works');
    await closeAndWait(next.sock);
    assert.equal(counts(limitedApp).max, 1);
  });

  it('outlier-detection-ejects-a-tcp-endpoint-refusing-connections', async () => {
    const ejected = (): Promise<number> => metric(client.admin, 'envoy_cluster_outlier_detection_ejections_active', { cluster_name: FLAKY_CLUSTER });
    let failures = 0;
    let successes = 0;
    for (let i = 0; i < 60 && (await ejected()) === 0; i++) {
      const a = await attempt(client.ip, FLAKY_PORT);
      if (a.echoed) {
        successes++;
        await closeAndWait(a.sock);
      } else {
        failures++;
      }
    }
    assert.equal(await ejected(), 1, `the refusing endpoint is ejected (${failures} failed, ${successes} succeeded)`);
    assert.ok(failures >= 2, `ejected after consecutive failures, got ${failures}`);
    assert.equal(await metric(client.admin, 'istio_tcp_connections_opened_total', { destination_service_name: 'flaky', response_flags: 'UF' }), failures);

    // Every later connection goes to the healthy endpoint.
    for (let i = 0; i < 30; i++) {
      const a = await attempt(client.ip, FLAKY_PORT);
      assert.ok(a.echoed, `connection ${i} after the ejection succeeds`);
      await closeAndWait(a.sock);
    }
    assert.equal(await metric(client.admin, 'istio_tcp_connections_opened_total', { destination_service_name: 'flaky', response_flags: 'UF' }), failures);
  });
});
