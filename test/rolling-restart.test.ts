// Rolling restart under steady load, no retries configured: `weft up` runs a service of three
// instances (real sidecars, real upstream processes) and a client sidecar; an open-loop loader
// sends 1000 requests/s for 30 s through the client sidecar while `weft restart echo` replaces
// every instance one at a time. Not one request may fail (no 5xx, no connection error), and every
// instance must really be replaced (new pids).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT, UPSTREAM_MAIN } from './harness/repo.js';
import { stopAll, tempDir, waitFor } from './harness/processes.js';
import { httpGet, request, viaSidecar } from './harness/http.js';
import { REVIEWS_HOST, startScenario, type Scenario } from './harness/scenario.js';

const SUBNET = '127.0.34';
const GW_IP = '127.0.34.250';
const HOST = 'echo.default.svc.cluster.local';
const RATE = 1000;
const DURATION_MS = 30_000;

function config(): string {
  const upstream = `UPSTREAM_NAME=$WEFT_INSTANCE UPSTREAM_HOST=$WEFT_HOST UPSTREAM_PORT=$PORT exec "${process.execPath}" "${UPSTREAM_MAIN}"`;
  return `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: echo, namespace: default, labels: {app: echo, version: v1}}
spec:
  service: echo
  replicas: 3
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["sh", "-c", ${JSON.stringify(upstream)}]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: client, namespace: default, labels: {app: client, version: v1}}
spec:
  service: client
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["sh", "-c", ${JSON.stringify(upstream)}]
`;
}

interface LoadStats {
  sent: number;
  ok: number;
  byStatus: Map<number, number>;
  errors: string[];
}

/** Open loop: requests are issued on schedule (RATE/s) whether or not earlier ones answered. */
async function paced(send: () => Promise<number>, rate: number, durationMs: number): Promise<LoadStats> {
  const stats: LoadStats = { sent: 0, ok: 0, byStatus: new Map(), errors: [] };
  const total = Math.round((rate * durationMs) / 1000);
  const start = Date.now();
  const inflight = new Set<Promise<void>>();
  while (stats.sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) * rate) / 1000));
    while (stats.sent < due) {
      stats.sent++;
      const p: Promise<void> = send().then(
        (status) => {
          stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1);
          if (status === 200) stats.ok++;
        },
        (e: unknown) => void stats.errors.push(e instanceof Error ? e.message : String(e)),
      ).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inflight);
  return stats;
}

describe('rolling restart under 1000 rps', { timeout: 120_000 }, () => {
  let child: ChildProcess;
  let output = '';
  const configDir = tempDir('rr-cfg');
  const stateDir = tempDir('rr-state');

  before(async () => {
    fs.writeFileSync(path.join(configDir, 'mesh.yaml'), config());
    child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin/weft.js'), 'up', configDir,
        '--gateway-port', '28080', '--gateway-ip', GW_IP, '--xds-port', '26010', '--http-port', '26014',
        '--subnet', SUBNET, '--state-dir', stateDir,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor('mesh is ready', () => {
      if (child.exitCode !== null) throw new Error(`weft up exited ${child.exitCode}:\n${output}`);
      return output.includes('mesh is ready') && fs.existsSync(path.join(stateDir, 'up.json'));
    }, 60_000);
  });
  after(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(t);
  });

  it('serves every request while each instance is replaced', async () => {
    const clientIp = /sidecar\/client-0\s+(\S+)/.exec(output)?.[1];
    assert.ok(clientIp, `client sidecar address in the summary:\n${output}`);
    await waitFor('client reaches echo', async () => (await viaSidecar(clientIp, HOST, '/')).status === 200, 15_000);

    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const send = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: clientIp, port: 15001, path: '/', headers: { host: HOST }, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
        req.on('error', reject);
        req.end();
      });

    const load = paced(send, RATE, DURATION_MS);
    await new Promise((r) => setTimeout(r, 2_000));
    const restartStarted = Date.now();
    const restart = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/weft.js'), 'restart', 'echo', '-n', 'default', '--state-dir', stateDir, '-o', 'json'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let rout = '';
    restart.stdout?.on('data', (d: Buffer) => (rout += d.toString()));
    restart.stderr?.on('data', (d: Buffer) => (rout += d.toString()));
    const code = await new Promise<number | null>((r) => restart.once('exit', r));
    const restartMs = Date.now() - restartStarted;
    const stats = await load;
    agent.destroy();

    assert.equal(code, 0, `weft restart failed:\n${rout}\n--- weft up ---\n${output.slice(-4000)}`);
    const results = JSON.parse(rout) as Array<{ instance: string; oldPids: number[]; newPids: number[]; durationMs: number; steps: Record<string, number> }>;
    process.stdout.write(
      `rolling restart: ${stats.sent} requests, ${stats.ok} ok, status ${JSON.stringify([...stats.byStatus])}, ` +
        `${stats.errors.length} errors; restart ${restartMs} ms: ${results.map((r) => `${r.instance} ${r.durationMs} ms ${JSON.stringify(r.steps)}`).join('; ')}\n`,
    );
    assert.deepEqual(results.map((r) => r.instance).sort(), ['echo-0', 'echo-1', 'echo-2']);
    for (const r of results) {
      assert.equal(r.oldPids.length, 2, `${r.instance}: sidecar and app pids before`);
      assert.equal(r.newPids.length, 2, `${r.instance}: sidecar and app pids after`);
      for (const p of r.newPids) assert.ok(!r.oldPids.includes(p), `${r.instance}: pid ${p} is new`);
    }
    assert.ok(restartMs < DURATION_MS - 2_000, `the whole restart ran under load (${restartMs} ms)`);
    assert.equal(stats.sent, RATE * (DURATION_MS / 1000));
    assert.deepEqual(stats.errors.slice(0, 5), [], `connection errors: ${stats.errors.length}`);
    assert.equal(stats.ok, stats.sent, `non-200 responses: ${JSON.stringify([...stats.byStatus])}`);
  });
});

// The sidecar's drain on its own (same ports and subnet, after the suite above has stopped).
function rawRequest(socket: net.Socket, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      const len = /content-length: *(\d+)/i.exec(buf)?.[1];
      const complete = len !== undefined ? buf.length >= end + 4 + Number(len) : buf.endsWith('\r\n0\r\n\r\n');
      if (end >= 0 && complete) {
        socket.off('data', onData);
        resolve(buf);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nhost: ${REVIEWS_HOST}\r\n\r\n`);
  });
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

describe('sidecar drain', { timeout: 60_000 }, () => {
  let sc: Scenario;
  before(async () => {
    sc = await startScenario({ subnet: SUBNET, xdsPort: 26010, httpPort: 26014 });
  });
  after(() => stopAll());

  it('fails readiness, closes idle keep-alive connections, finishes in-flight requests with Connection: close, then stops accepting', async () => {
    const server = sc.servers[0]!;
    const ip = server.ip;
    const idle = await connect(ip, 80);
    const first = await rawRequest(idle, '/');
    assert.match(first, /^HTTP\/1\.1 200/);
    assert.doesNotMatch(first, /connection: close/i);
    const idleClosed = new Promise<number>((r) => idle.once('close', () => r(Date.now())));

    const busy = await connect(ip, 80);
    const slow = rawRequest(busy, '/?delay=800');
    await new Promise((r) => setTimeout(r, 100));

    const t0 = Date.now();
    assert.equal((await request(`http://${server.admin}/drain_listeners`, { method: 'POST' })).status, 200);
    const ready = await httpGet(`http://${server.admin}/ready`);
    assert.equal(ready.status, 503);
    assert.match(ready.body, /draining/);
    assert.ok((await idleClosed) - t0 < 500, 'idle connection closed at once');

    // Within the grace period new connections are still served, told to close.
    const late = await connect(ip, 80);
    const lateResp = await rawRequest(late, '/');
    assert.match(lateResp, /^HTTP\/1\.1 200/);
    assert.match(lateResp, /connection: close/i);
    late.destroy();

    const slowResp = await slow;
    assert.match(slowResp, /^HTTP\/1\.1 200/, 'the in-flight request finished');
    assert.match(slowResp, /connection: close/i);
    await waitFor('drain done', async () => (JSON.parse((await httpGet(`http://${server.admin}/drain_status`)).body) as { done: boolean }).done, 5_000);
    await assert.rejects(connect(ip, 80), /ECONNREFUSED/, 'stopped accepting after the grace period');
    busy.destroy();

    // A drained sidecar exits at once on SIGTERM.
    const exited = new Promise((r) => server.child.once('exit', r));
    const t1 = Date.now();
    server.child.kill('SIGTERM');
    await exited;
    assert.ok(Date.now() - t1 < 1_500, `exit took ${Date.now() - t1} ms`);
  });

  it('SIGTERM drains: an in-flight request completes before the proxy exits', async () => {
    const server = sc.servers[1]!;
    const busy = await connect(server.ip, 80);
    const slow = rawRequest(busy, '/?delay=1500');
    await new Promise((r) => setTimeout(r, 100));
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    const resp = await slow;
    assert.match(resp, /^HTTP\/1\.1 200/);
    assert.match(resp, /connection: close/i);
    await exited;
  });
});
