// MeshConfig outboundTrafficPolicy end to end (subnets 127.0.70.0/24 and 127.0.71.0/24): a real
// control plane, a real client sidecar, a mesh service (ServiceEntry with a static endpoint) and a
// real upstream the mesh does not know. ALLOW_ANY (Istio's default): the unknown host is reached
// through PassthroughCluster, counted with Istio's labels (destination_service_name
// PassthroughCluster, destination_service the requested host, the rest unknown) and logged with
// %UPSTREAM_CLUSTER% PassthroughCluster; an unreachable host is 503 UF, a bad authority 503 UH.
// Switching the MeshConfig file to REGISTRY_ONLY at runtime blocks it: 502 from block_all, no
// flag, BlackHoleCluster labels, the upstream never sees the request. The mesh service works in
// both modes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { allSynced, writeConfig } from './harness/config.js';
import { httpGet, viaSidecar, type Resp } from './harness/http.js';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ProxyHandle } from './harness/processes.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const ip = (n: number): string => `127.0.70.${n}`;
const EXTERNAL = '127.0.71.2:8080';
const UNREACHABLE = '127.0.71.3:8080';
const KNOWN = 'ratings.example.internal';
const LOG_DIR = tempDir('passthrough-log');
const LOG_FILE = path.join(LOG_DIR, 'access.log');
const FORMAT = '%ROUTE_NAME% %UPSTREAM_CLUSTER% %UPSTREAM_HOST% %RESPONSE_CODE% %RESPONSE_FLAGS% %REQ(:AUTHORITY)% %REQ(:PATH)%\\n';

const mesh = (mode: string): string => `
apiVersion: weft.dev/v1alpha1
kind: MeshConfig
metadata: {name: mesh, namespace: istio-system}
spec:
  accessLogFile: ${LOG_FILE}
  accessLogFormat: "${FORMAT}"
  outboundTrafficPolicy: {mode: ${mode}}
`;

const SERVICES = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings, namespace: default}
spec:
  hosts: [${KNOWN}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: ${ip(12)}, ports: {http: 9080}}]
`;

/** An absolute-form request through the sidecar (the app uses it as http_proxy). */
function viaProxyAbsolute(sidecarIp: string, url: string): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: sidecarIp, port: 15001, path: url, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * "CONNECT authority" on the sidecar (an app using it as https_proxy); when the answer is 200,
 * `payload` goes through the tunnel and everything until the upstream closes is returned.
 */
function connectVia(sidecarIp: string, authority: string, payload: string): Promise<{ head: string; tunneled: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: sidecarIp, port: 15001 });
    let buf = Buffer.alloc(0);
    let head: string | null = null;
    const timer = setTimeout(() => s.destroy(new Error('CONNECT timeout')), 30_000);
    s.on('connect', () => s.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`));
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (head !== null) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      head = buf.subarray(0, end).toString();
      buf = buf.subarray(end + 4);
      if (head.startsWith('HTTP/1.1 200')) s.write(payload);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ head: head ?? '', tunneled: buf.toString() });
    });
    s.on('error', reject);
  });
}

describe('outboundTrafficPolicy: PassthroughCluster and BlackHoleCluster', { timeout: 180_000 }, () => {
  let client: ProxyHandle;
  let configDir: string;

  before(async () => {
    configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'services.yaml', SERVICES);
    writeConfig(configDir, 'mesh.yaml', mesh('ALLOW_ANY'));
    const cp = await startControlPlane({ configDir, stateDir, host: ip(1), xdsPort: 15010, httpPort: 15014 });
    await startUpstream('external', '127.0.71.2', 8080);
    await startUpstream('ratings', ip(12), 9080);
    client = await startProxy({ xds: cp.xds, ip: ip(2), name: 'web-0', workload: 'web', labels: { app: 'web', version: 'v1' } });
    await waitFor('synced', () => allSynced(cp.http, 1));
    await waitFor('ratings reachable', async () => (await viaSidecar(client.ip, KNOWN, '/')).status === 200);
  });
  after(() => stopAll());

  const requests = async (labels: Record<string, string>): Promise<{ labels: Record<string, string>; value: number }[]> => {
    const m = parseExposition((await httpGet(`http://${client.admin}/stats/prometheus`)).body);
    return findSamples(m, 'istio_requests_total', { reporter: 'source', ...labels });
  };
  const logLines = (): string[][] => (fs.existsSync(LOG_FILE) ? fs.readFileSync(LOG_FILE, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split(' ')) : []);
  const logFor = async (p: string): Promise<string[]> => {
    await waitFor(`access log line for ${p}`, () => logLines().some((l) => l[6] === p), 20_000);
    return logLines().find((l) => l[6] === p)!;
  };
  /** The access-log line of a CONNECT tunnel to `authority` that was answered `code` (CONNECT lines have no path). */
  const connectLine = async (authority: string, code: string): Promise<string[]> => {
    const match = (l: string[]): boolean => l[5] === authority && l[6] === '-' && l[3] === code;
    await waitFor(`access log line for CONNECT ${authority} ${code}`, () => logLines().some(match), 20_000);
    return logLines().find(match)!;
  };
  const externalCount = async (): Promise<number> => (JSON.parse((await httpGet(`http://${EXTERNAL}/__count`)).body) as { count: number }).count;

  it('ALLOW_ANY: an unknown host is proxied through PassthroughCluster with Istio\'s labels', async () => {
    const r = await viaSidecar(client.ip, EXTERNAL, '/pt-host');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { name: string }).name, 'external');
    const abs = await viaProxyAbsolute(client.ip, `http://${EXTERNAL}/pt-absolute`);
    assert.equal(abs.status, 200);
    assert.equal((JSON.parse(abs.body) as { name: string }).name, 'external');

    const got = await requests({ destination_service_name: 'PassthroughCluster', response_code: '200' });
    assert.equal(got.length, 1, JSON.stringify(got));
    const s = got[0]!;
    assert.equal(s.value, 2);
    const expected: Record<string, string> = {
      reporter: 'source',
      source_workload: 'web',
      source_workload_namespace: 'default',
      source_app: 'web',
      source_version: 'v1',
      destination_service: EXTERNAL,
      destination_service_name: 'PassthroughCluster',
      destination_service_namespace: 'unknown',
      destination_workload: 'unknown',
      destination_workload_namespace: 'unknown',
      destination_principal: 'unknown',
      destination_app: 'unknown',
      destination_version: 'unknown',
      destination_canonical_service: 'unknown',
      destination_cluster: 'unknown',
      request_protocol: 'http',
      response_flags: '-',
      connection_security_policy: 'unknown',
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(s.labels[k], v, k);

    const line = await logFor('/pt-host');
    assert.deepEqual(line.slice(0, 6), ['allow_any', 'PassthroughCluster', EXTERNAL, '200', '-', EXTERNAL]);
    const stats = (await httpGet(`http://${client.admin}/stats/prometheus`)).body;
    assert.match(stats, /^envoy_cluster_upstream_rq_total\{cluster_name="PassthroughCluster"\} [2-9]/m);
  });

  it('ALLOW_ANY: an unreachable host is 503 UF; a bad authority is 503 UH', async () => {
    const r = await viaSidecar(client.ip, UNREACHABLE, '/pt-unreachable');
    assert.equal(r.status, 503);
    assert.match(r.body, /connection failure/);
    assert.deepEqual((await logFor('/pt-unreachable')).slice(0, 5), ['allow_any', 'PassthroughCluster', UNREACHABLE, '503', 'UF']);
    const uf = await requests({ destination_service_name: 'PassthroughCluster', response_flags: 'UF' });
    assert.equal(uf[0]?.labels['destination_service'], UNREACHABLE);

    const bad = await viaSidecar(client.ip, '127.0.71.2:99999', '/pt-bad-port');
    assert.equal(bad.status, 503);
    assert.equal(bad.body, 'no healthy upstream');
    assert.deepEqual((await logFor('/pt-bad-port')).slice(0, 5), ['allow_any', 'PassthroughCluster', '-', '503', 'UH']);
    // The sidecar never proxies to its own listener (that would loop).
    const self = await viaSidecar(client.ip, `${client.ip}:15001`, '/pt-self');
    assert.equal(self.status, 503);
    assert.deepEqual((await logFor('/pt-self')).slice(3, 5), ['503', 'UH']);
  });

  const tcpSamples = async (name: string, labels: Record<string, string>): Promise<{ labels: Record<string, string>; value: number }[]> => {
    const m = parseExposition((await httpGet(`http://${client.admin}/stats/prometheus`)).body);
    return findSamples(m, name, { reporter: 'source', ...labels });
  };

  it('ALLOW_ANY: CONNECT is tunneled through PassthroughCluster with Istio TCP metrics; unreachable → 503 UF', async () => {
    const r = await connectVia(client.ip, EXTERNAL, 'GET /through-tunnel HTTP/1.1\r\nhost: tunnel.example\r\nconnection: close\r\n\r\n');
    assert.equal(r.head, 'HTTP/1.1 200 OK');
    assert.match(r.tunneled, /^HTTP\/1\.1 200 OK/);
    assert.match(r.tunneled, /"name":"external"/);
    assert.match(r.tunneled, /"path":"\/through-tunnel"/);
    const want = { destination_service_name: 'PassthroughCluster', destination_service: EXTERNAL, response_flags: '-' };
    await waitFor('tunnel closed counted', async () => (await tcpSamples('istio_tcp_connections_closed_total', want))[0]?.value === 1);
    const opened = await tcpSamples('istio_tcp_connections_opened_total', want);
    assert.equal(opened.length, 1);
    assert.equal(opened[0]?.value, 1);
    for (const [k, v] of Object.entries({ request_protocol: 'tcp', source_workload: 'web', destination_workload: 'unknown', destination_service_namespace: 'unknown', connection_security_policy: 'unknown' })) {
      assert.equal(opened[0]?.labels[k], v, k);
    }
    assert.ok(((await tcpSamples('istio_tcp_sent_bytes_total', want))[0]?.value ?? 0) > 100, 'response bytes counted');
    assert.ok(((await tcpSamples('istio_tcp_received_bytes_total', want))[0]?.value ?? 0) > 40, 'request bytes counted');

    const bad = await connectVia(client.ip, UNREACHABLE, '');
    assert.match(bad.head, /^HTTP\/1\.1 503 /);
    assert.match(bad.tunneled, /connection failure/);
    const uf = await tcpSamples('istio_tcp_connections_opened_total', { destination_service_name: 'PassthroughCluster', response_flags: 'UF' });
    assert.equal(uf[0]?.labels['destination_service'], UNREACHABLE);
    // One access-log line per tunnel, written when it ends: route, cluster, host, status, flag.
    assert.deepEqual(await connectLine(EXTERNAL, '200'), ['allow_any', 'PassthroughCluster', EXTERNAL, '200', '-', EXTERNAL, '-']);
    assert.deepEqual(await connectLine(UNREACHABLE, '503'), ['allow_any', 'PassthroughCluster', UNREACHABLE, '503', 'UF', UNREACHABLE, '-']);
  });

  it('the mesh service works with ALLOW_ANY', async () => {
    assert.equal((await viaSidecar(client.ip, KNOWN, '/known-allow')).status, 200);
    const line = await logFor('/known-allow');
    assert.equal(line[1], `outbound|80||${KNOWN}`);
  });

  it('REGISTRY_ONLY (MeshConfig changed at runtime): unknown hosts get 502 from block_all, BlackHoleCluster labels', async () => {
    const before = await externalCount();
    writeConfig(configDir, 'mesh.yaml', mesh('REGISTRY_ONLY'));
    await waitFor('unknown host blocked', async () => (await viaSidecar(client.ip, EXTERNAL, '/probe')).status === 502, 30_000);
    const r = await viaSidecar(client.ip, EXTERNAL, '/bh-host');
    assert.equal(r.status, 502);
    assert.equal(r.body, '');
    const abs = await viaProxyAbsolute(client.ip, `http://${EXTERNAL}/bh-absolute`);
    assert.equal(abs.status, 502);
    // Probes that passed before the push reached the upstream; blocked requests never do.
    const reached = await externalCount();
    assert.ok(reached >= before);
    const again = await viaSidecar(client.ip, EXTERNAL, '/bh-again');
    assert.equal(again.status, 502);
    assert.equal(await externalCount(), reached, 'a blocked request never reaches the upstream');

    const got = await requests({ destination_service_name: 'BlackHoleCluster' });
    assert.equal(got.length, 1, JSON.stringify(got));
    const s = got[0]!;
    assert.ok(s.value >= 4);
    const expected: Record<string, string> = {
      destination_service: EXTERNAL,
      destination_service_namespace: 'unknown',
      destination_workload: 'unknown',
      destination_app: 'unknown',
      destination_principal: 'unknown',
      response_code: '502',
      response_flags: '-',
      source_workload: 'web',
      request_protocol: 'http',
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(s.labels[k], v, k);
    // Envoy's direct_response: the route is block_all, no upstream cluster or host, no flag.
    assert.deepEqual((await logFor('/bh-host')).slice(0, 6), ['block_all', '-', '-', '502', '-', EXTERNAL]);
  });

  it('REGISTRY_ONLY: CONNECT is refused with 502 and counted as BlackHoleCluster TCP (UH)', async () => {
    const before = await externalCount();
    const r = await connectVia(client.ip, EXTERNAL, 'GET /never HTTP/1.1\r\nhost: x\r\n\r\n');
    assert.match(r.head, /^HTTP\/1\.1 502 /);
    assert.equal(await externalCount(), before);
    const got = await tcpSamples('istio_tcp_connections_opened_total', { destination_service_name: 'BlackHoleCluster' });
    assert.equal(got.length, 1);
    assert.equal(got[0]?.value, 1);
    assert.equal(got[0]?.labels['destination_service'], EXTERNAL);
    assert.equal(got[0]?.labels['response_flags'], 'UH');
    assert.equal((await tcpSamples('istio_tcp_connections_closed_total', { destination_service_name: 'BlackHoleCluster' }))[0]?.value, 1);
    // Logged like an HTTP request to block_all: a direct 502, no cluster.
    assert.deepEqual(await connectLine(EXTERNAL, '502'), ['block_all', '-', '-', '502', '-', EXTERNAL, '-']);
  });

  it('the mesh service still works with REGISTRY_ONLY', async () => {
    assert.equal((await viaSidecar(client.ip, KNOWN, '/known-registry-only')).status, 200);
    assert.equal((await logFor('/known-registry-only'))[1], `outbound|80||${KNOWN}`);
  });
});
