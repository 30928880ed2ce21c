// mTLS benchmark (`npm run build && node dist/bench/mtls.js [--duration=S] [--connections=N]`):
//   1. new mTLS handshakes per second one proxy process (one core) completes on its inbound
//      listener: N clients in a closed loop connect, complete the handshake with a client SVID
//      (ECDSA P-256, TLS 1.3), send one request, read the response and close;
//   2. two sidecars (client → server → app), keep-alive HTTP/1.1, closed loop of N connections:
//      throughput and latency with mTLS (auto mTLS, PeerAuthentication STRICT) and without
//      (PeerAuthentication DISABLE).
// Addresses 127.0.47.100-103 (the mtls helper's subnet). Prints a markdown table.
import tls from 'node:tls';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeConfig } from '../test/harness/config.js';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor } from '../test/harness/processes.js';
import { httpGet } from '../test/harness/http.js';
import { makeCa, workloadSvid, writeIdentityDir } from '../test/harness/certs.js';
import { closedLoop } from './closed-loop.js';

const ip = (n: number): string => `127.0.47.${n}`;
const HOST = 'bench.default.svc.cluster.local';
/** The client sidecar's outbound listener, asked for the bench service. */
const TARGET = { host: ip(100), port: 15001, hostHeader: HOST };


async function handshakes(durationMs: number, conns: number, cert: { certPem: string; keyPem: string }, ca: string): Promise<{ perSec: number; failed: number }> {
  const ctx = tls.createSecureContext({ cert: cert.certPem, key: cert.keyPem, ca });
  const end = Date.now() + durationMs;
  let done = 0;
  let failed = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const s = tls.connect({ host: ip(101), port: 80, secureContext: ctx, ALPNProtocols: ['istio'], servername: `outbound_.80_._.${HOST}`, checkServerIdentity: () => undefined });
      let got = '';
      s.on('secureConnect', () => s.write(`GET / HTTP/1.1\r\nhost: ${HOST}\r\nconnection: close\r\n\r\n`));
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => {
        if (got.startsWith('HTTP/1.1 200')) done++;
        else failed++;
        resolve();
      });
      s.on('error', () => undefined);
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  return { perSec: done / ((Date.now() - started) / 1000), failed };
}


async function main(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '16' } } });
  const durationMs = Number(values.duration) * 1000;
  const conns = Number(values.connections);
  const configDir = tempDir('bench-mtls');
  const stateDir = tempDir('bench-mtls-state');
  fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
  const pa = (mode: string): string => `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: ${mode}}}\n`;
  writeConfig(configDir, 'base.yaml', `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: bench, namespace: default}
spec:
  service: bench
  serviceAccount: bench
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
`);
  writeConfig(configDir, 'pa.yaml', pa('STRICT'));
  writeConfig(path.join(stateDir, 'registry'), 'we.yaml', `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: bench-0, namespace: default}
spec:
  address: ${ip(101)}
  ports: {http: 80}
  labels: {app: bench, weft.dev/workload: bench, security.istio.io/tlsMode: istio}
  serviceAccount: bench
`);
  const ca = await makeCa('bench-root');
  const clientDir = tempDir('bench-client-certs');
  const serverDir = tempDir('bench-server-certs');
  const clientLeaf = await workloadSvid(ca, 'client');
  writeIdentityDir(clientDir, clientLeaf, ca.pem);
  writeIdentityDir(serverDir, await workloadSvid(ca, 'bench'), ca.pem);
  const cp = await startControlPlane({ configDir, stateDir, xdsPort: 24846, httpPort: 24847 });
  await startUpstream('bench', ip(101), 9080);
  const server = await startProxy({ xds: cp.xds, ip: ip(101), name: 'bench-0', workload: 'bench', labels: { app: 'bench' }, serviceAccount: 'bench', certDir: serverDir });
  await startProxy({ xds: cp.xds, ip: ip(100), name: 'client-0', workload: 'client', labels: { app: 'client' }, serviceAccount: 'client', certDir: clientDir });
  await waitFor('route', async () => (await httpGet(`http://${ip(100)}:15001/`, { host: HOST })).status === 200, 30_000);

  const rows: string[] = [];
  const hs = await handshakes(durationMs, conns, clientLeaf, ca.pem);
  rows.push(`| new mTLS handshakes/s (one server proxy process, ECDSA P-256, TLS 1.3, 1 request each) | ${hs.perSec.toFixed(0)} | failed ${hs.failed} |`);
  const on = await closedLoop(TARGET, durationMs, conns);
  writeConfig(configDir, 'pa.yaml', pa('DISABLE'));
  await waitFor('mTLS off', async () => !(await httpGet(`http://${server.admin}/config_dump`)).body.includes('DownstreamTlsContext'), 30_000);
  await waitFor('route (plaintext)', async () => (await httpGet(`http://${ip(100)}:15001/`, { host: HOST })).status === 200, 30_000);
  const off = await closedLoop(TARGET, durationMs, conns);
  rows.push(`| two sidecars, mTLS on (keep-alive, ${conns} connections) | ${on.rps.toFixed(0)} req/s | p50 ${on.p50.toFixed(2)} ms, p99 ${on.p99.toFixed(2)} ms, failed ${on.failed} |`);
  rows.push(`| two sidecars, mTLS off | ${off.rps.toFixed(0)} req/s | p50 ${off.p50.toFixed(2)} ms, p99 ${off.p99.toFixed(2)} ms, failed ${off.failed} |`);
  process.stdout.write(`\n| mTLS benchmark (${values.duration} s each) | result | notes |\n|---|---|---|\n${rows.join('\n')}\n`);
  await stopAll();
}

main().catch(async (err: unknown) => {
  process.stderr.write(`mtls bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
