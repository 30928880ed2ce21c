// WebSocket pass-through and plain TCP (L4) proxying through real sidecars:
// - a WebSocket echo app (handshake and frames by hand in the fixture) behind its sidecar, a raw
//   socket client through its own sidecar's outbound HTTP listener: messages round-trip; closing
//   either end closes the other; the exchange is recorded with response_code 101.
// - a TCP echo service with two versions: a client connects to its own sidecar's outbound TCP
//   listener (<instance-ip>:<service port>); bytes round-trip with half-close; a VirtualService
//   tcp route 50/50 splits connections; Istio's TCP metrics count the bytes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { allSynced, writeConfig } from './harness/config.js';
import { startControlPlane, startProcess, startProxy, stopAll, tempDir, waitFor, type Proc, type ProxyHandle } from './harness/processes.js';
import { httpGet } from './harness/http.js';
import { DIST } from './harness/repo.js';
import { parseExposition, findSamples } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.36';
const ip = (n: number): string => `${SUBNET}.${n}`;
const ECHO_MAIN = path.join(DIST, 'test/fixtures/ws-tcp-echo.js');
const TCP_PORT = 7000;

const CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: echo-v1, namespace: default, labels: {app: echo, version: v1}}
spec:
  service: echo
  ports: [{name: tcp-echo, containerPort: 9000, servicePort: ${TCP_PORT}, protocol: TCP}]
  command: ["true"]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: echo-v2, namespace: default, labels: {app: echo, version: v2}}
spec:
  service: echo
  ports: [{name: tcp-echo, containerPort: 9000, servicePort: ${TCP_PORT}, protocol: TCP}]
  command: ["true"]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: chat, namespace: default, labels: {app: chat, version: v1}}
spec:
  service: chat
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec:
  host: echo
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const VS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: [echo]
  tcp:
  - match: [{port: ${TCP_PORT}}]
    route:
    - destination: {host: echo, subset: v1}
      weight: 50
    - destination: {host: echo, subset: v2}
      weight: 50
`;

function registry(): string {
  const entry = (name: string, workload: string, labels: string, addr: string, ports: string): string => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}, namespace: default}
spec:
  address: ${addr}
  ports: {${ports}}
  labels: {${labels}, weft.dev/workload: ${workload}}
`;
  return [
    entry('echo-v1-0', 'echo-v1', 'app: echo, version: v1', ip(11), `tcp-echo: ${TCP_PORT}`),
    entry('echo-v2-0', 'echo-v2', 'app: echo, version: v2', ip(12), `tcp-echo: ${TCP_PORT}`),
    entry('chat-0', 'chat', 'app: chat, version: v1', ip(21), 'http: 80'),
  ].join('---\n');
}

function startEcho(mode: 'ws' | 'tcp', name: string, host: string, port: number): Proc {
  return startProcess([ECHO_MAIN], { ECHO_MODE: mode, ECHO_NAME: name, ECHO_HOST: host, ECHO_PORT: String(port) });
}

/** Reads from a socket until `done` says the collected bytes are complete. */
function readUntil(sock: net.Socket, done: (b: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => finish(new Error(`timed out; got ${JSON.stringify(buf.toString('latin1'))}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (done(buf)) finish(null);
    };
    const finish = (err: Error | null): void => {
      clearTimeout(t);
      sock.off('data', onData);
      if (err) reject(err);
      else resolve(buf);
    };
    sock.on('data', onData);
  });
}

function maskedText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = crypto.randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/** Unmasked server frames: [opcode, payload] each, when complete. */
function parseFrames(buf: Buffer): { frames: [number, string][]; rest: Buffer } {
  const frames: [number, string][] = [];
  let pos = 0;
  while (buf.length - pos >= 2) {
    const len = buf[pos + 1]! & 0x7f;
    if (buf.length - pos < 2 + len) break;
    frames.push([buf[pos]! & 0x0f, buf.subarray(pos + 2, pos + 2 + len).toString()]);
    pos += 2 + len;
  }
  return { frames, rest: buf.subarray(pos) };
}

async function openWebSocket(clientIp: string): Promise<{ sock: net.Socket; head: string }> {
  const sock = net.connect({ host: clientIp, port: 15001 });
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  const key = crypto.randomBytes(16).toString('base64');
  sock.write(
    `GET /chat HTTP/1.1\r\nHost: chat.default.svc.cluster.local\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const got = await readUntil(sock, (b) => b.includes('\r\n\r\n'));
  const end = got.indexOf('\r\n\r\n') + 4;
  const head = got.subarray(0, end).toString('latin1');
  if (end < got.length) sock.unshift(got.subarray(end));
  const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  assert.match(head, new RegExp(`sec-websocket-accept: ${accept.replace(/[+/=]/g, '\\$&')}`, 'i'));
  return { sock, head };
}

function closed(sock: net.Socket): Promise<void> {
  return new Promise((r) => (sock.destroyed ? r() : sock.once('close', () => r())));
}

async function tcpRoundTrip(payload: string): Promise<{ echoed: string; servedBy: string }> {
  const sock = net.connect({ host: ip(2), port: TCP_PORT });
  sock.on('error', () => undefined);
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  const all: Buffer[] = [];
  sock.on('data', (d: Buffer) => all.push(d));
  sock.write(payload);
  sock.end(); // half-close: the echo still comes back, then the server's trailer
  await closed(sock);
  const text = Buffer.concat(all).toString();
  const i = text.lastIndexOf('\nserved-by ');
  return { echoed: i >= 0 ? text.slice(0, i) : text, servedBy: i >= 0 ? text.slice(i + '\nserved-by '.length) : '' };
}

describe('websocket and tcp through sidecars', { timeout: 120_000 }, () => {
  let client: ProxyHandle;
  let chatApp: Proc;
  let cpConfigDir = '';
  let cpHttp = '';

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'base.yaml', CONFIG);
    writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', registry());
    const cp = await startControlPlane({ configDir, stateDir, xdsPort: 26210, httpPort: 26214 });
    cpConfigDir = configDir;
    cpHttp = cp.http;
    const apps = [startEcho('tcp', 'echo-v1', ip(11), 9000), startEcho('tcp', 'echo-v2', ip(12), 9000), startEcho('ws', 'chat', ip(21), 9080)];
    chatApp = apps[2]!;
    for (const a of apps) await waitFor('echo app', () => a.output().includes('upstream ready'), 10_000, a);
    await Promise.all([
      startProxy({ xds: cp.xds, ip: ip(11), name: 'echo-v1-0', workload: 'echo-v1', labels: { app: 'echo', version: 'v1' } }),
      startProxy({ xds: cp.xds, ip: ip(12), name: 'echo-v2-0', workload: 'echo-v2', labels: { app: 'echo', version: 'v2' } }),
      startProxy({ xds: cp.xds, ip: ip(21), name: 'chat-0', workload: 'chat', labels: { app: 'chat', version: 'v1' } }),
    ]);
    client = await startProxy({ xds: cp.xds, ip: ip(2), name: 'client-0', workload: 'client', labels: { app: 'client', version: 'v1' } });
    await waitFor('all proxies synced', () => allSynced(cp.http, 4));
  });
  after(async () => {
    await stopAll();
  });

  it('websocket-messages-round-trip-through-two-sidecars', async () => {
    const { sock, head } = await openWebSocket(client.ip);
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /upgrade: websocket/i);
    let pending = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => (pending = Buffer.concat([pending, d])));
    for (const msg of ['hello', 'second message', 'x'.repeat(100)]) {
      sock.write(maskedText(msg));
      await waitFor(`echo of ${msg.slice(0, 10)}`, () => parseFrames(pending).frames.length === 1, 5000);
      const { frames, rest } = parseFrames(pending);
      pending = Buffer.from(rest);
      assert.deepEqual(frames[0], [1, `chat: ${msg}`]);
    }
    // The server closes ("bye"): its close frame arrives and the client's connection closes.
    sock.write(maskedText('bye'));
    await closed(sock);
    assert.equal(parseFrames(pending).frames[0]?.[0], 8);
    // The exchange is recorded with 101 when the tunnel closes.
    await waitFor('101 recorded by the client sidecar', async () => {
      const m = parseExposition((await httpGet(`http://${client.admin}/stats/prometheus`)).body);
      return findSamples(m, 'istio_requests_total', { reporter: 'source', response_code: '101', destination_service_name: 'chat' }).length === 1;
    });
  });

  it('websocket-client-close-closes-the-server-side', async () => {
    const before = (chatApp.output().match(/ws closed/g) ?? []).length;
    const { sock } = await openWebSocket(client.ip);
    sock.write(maskedText('ping'));
    await readUntil(sock, (b) => parseFrames(b).frames.length === 1);
    sock.destroy();
    await waitFor('server saw the close', () => (chatApp.output().match(/ws closed/g) ?? []).length === before + 1, 5000);
  });

  it('non-upgrade-requests-still-work-on-the-same-service', async () => {
    const sock = net.connect({ host: client.ip, port: 15001 });
    sock.write('GET / HTTP/1.1\r\nHost: chat.default.svc.cluster.local\r\nConnection: close\r\n\r\n');
    const got = await readUntil(sock, (b) => b.includes('plain http'));
    assert.match(got.toString(), /^HTTP\/1\.1 200 /);
    sock.destroy();
  });

  it('tcp-bytes-round-trip-with-half-close', async () => {
    const payload = 'a'.repeat(50_000) + 'end';
    const r = await tcpRoundTrip(payload);
    assert.equal(r.echoed, payload);
    assert.match(r.servedBy, /^echo-v[12]$/);
  });

  it('tcp-route-splits-connections-50-50-and-metrics-count-bytes', async () => {
    writeConfig(cpConfigDir, 'vs.yaml', VS);
    await waitFor('tcp route applied', async () => {
      if (!(await allSynced(cpHttp, 4))) return false;
      const dump = await httpGet(`http://${client.admin}/config_dump`);
      return dump.body.includes('weighted_clusters');
    });
    const read = async (): Promise<{ sent: number; received: number; opened: number }> => {
      const m = parseExposition((await httpGet(`http://${client.admin}/stats/prometheus`)).body);
      const sum = (name: string): number => findSamples(m, name, { reporter: 'source', destination_service_name: 'echo' }).reduce((a, s) => a + s.value, 0);
      return { sent: sum('istio_tcp_sent_bytes_total'), received: sum('istio_tcp_received_bytes_total'), opened: sum('istio_tcp_connections_opened_total') };
    };
    const start = await read();
    const counts = new Map<string, number>();
    let sentBytes = 0;
    let receivedBytes = 0;
    const N = 200;
    for (let i = 0; i < N; i += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, (_, j) => tcpRoundTrip(`conn ${i + j}`)));
      for (const [j, r] of batch.entries()) {
        assert.equal(r.echoed, `conn ${i + j}`);
        counts.set(r.servedBy, (counts.get(r.servedBy) ?? 0) + 1);
        receivedBytes += `conn ${i + j}`.length;
        sentBytes += r.echoed.length + '\nserved-by '.length + r.servedBy.length;
      }
    }
    const v1 = counts.get('echo-v1') ?? 0;
    const v2 = counts.get('echo-v2') ?? 0;
    assert.equal(v1 + v2, N, JSON.stringify([...counts]));
    // 50/50 over 200 connections: well inside ±20% (p < 1e-4 of failing by chance).
    assert.ok(v1 > 60 && v2 > 60, `split ${v1}/${v2}`);
    await waitFor('tcp metrics', async () => {
      const now = await read();
      return now.opened - start.opened === N && now.received - start.received === receivedBytes && now.sent - start.sent === sentBytes;
    }, 5000);
    const m = parseExposition((await httpGet(`http://${client.admin}/stats/prometheus`)).body);
    const s = findSamples(m, 'istio_tcp_connections_closed_total', { reporter: 'source', destination_workload: 'echo-v2' });
    assert.ok(s.length >= 1, 'closed connections to echo-v2 carry the EDS peer labels');
    assert.equal(s[0]!.labels.source_workload, 'client');
    assert.equal(s[0]!.labels.request_protocol, 'tcp');
    assert.equal(s[0]!.labels.destination_service, 'echo.default.svc.cluster.local');
    assert.equal(s[0]!.labels.response_code, undefined);
    // The server side counts the same connections as reporter=destination.
    await waitFor('server-side tcp metrics', async () => {
      let total = 0;
      for (const n of [11, 12]) {
        const sm = parseExposition((await httpGet(`http://${ip(n)}:15000/stats/prometheus`)).body);
        total += findSamples(sm, 'istio_tcp_connections_closed_total', { reporter: 'destination' }).reduce((a, x) => a + x.value, 0);
      }
      return total >= N;
    }, 5000);
  });
});
