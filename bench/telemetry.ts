// Telemetry cost benchmark (`npm run build && node dist/bench/telemetry.js [--duration=S] [--connections=N]`):
// two sidecars (client → server → app), keep-alive HTTP/1.1, a closed loop of N connections, first
// with Istio's standard metrics on (the default), then with every metric disabled by a mesh-wide
// Telemetry resource. Reports throughput, latency and the two proxies' CPU per request (from
// their own process_cpu_seconds_total), so the share of proxy CPU that telemetry costs is read
// off the same run. Addresses 127.0.62.x. Prints a markdown table.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeConfig } from '../test/harness/config.js';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ProxyHandle } from '../test/harness/processes.js';
import { httpGet } from '../test/harness/http.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';
import { closedLoop, type ClosedLoopResult } from './closed-loop.js';

const ip = (n: number): string => `127.0.62.${n}`;
const HOST = 'bench.default.svc.cluster.local';
/** The client sidecar's outbound listener, asked for the bench service. */
const TARGET = { host: ip(100), port: 15001, hostHeader: HOST };


async function cpuSeconds(p: ProxyHandle): Promise<number> {
  const m = parseExposition((await httpGet(`http://${p.admin}/stats/prometheus`)).body);
  return findSamples(m, 'process_cpu_seconds_total').reduce((a, x) => a + x.value, 0);
}


async function measure(durationMs: number, conns: number, proxies: ProxyHandle[]): Promise<ClosedLoopResult & { cpuUsPerRequest: number }> {
  const before = await Promise.all(proxies.map(cpuSeconds));
  const r = await closedLoop(TARGET, durationMs, conns);
  const after = await Promise.all(proxies.map(cpuSeconds));
  const cpu = after.reduce((a, x, i) => a + x - (before[i] ?? 0), 0);
  return { ...r, cpuUsPerRequest: r.requests > 0 ? (cpu * 1e6) / r.requests : 0 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '16' } } });
  const durationMs = Number(values.duration) * 1000;
  const conns = Number(values.connections);
  const configDir = tempDir('bench-telemetry');
  const stateDir = tempDir('bench-telemetry-state');
  fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
  writeConfig(configDir, 'base.yaml', `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: bench, namespace: default}
spec:
  service: bench
  serviceAccount: bench
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
`);
  writeConfig(path.join(stateDir, 'registry'), 'we.yaml', `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: bench-0, namespace: default}
spec:
  address: ${ip(101)}
  ports: {http: 80}
  labels: {app: bench, weft.dev/workload: bench}
  serviceAccount: bench
`);
  const cp = await startControlPlane({ configDir, stateDir, xdsPort: 15010, httpPort: 15014, host: ip(1) });
  await startUpstream('bench', ip(101), 9080);
  const server = await startProxy({ xds: cp.xds, ip: ip(101), name: 'bench-0', workload: 'bench', labels: { app: 'bench' }, serviceAccount: 'bench' });
  const client = await startProxy({ xds: cp.xds, ip: ip(100), name: 'client-0', workload: 'client', labels: { app: 'client' }, serviceAccount: 'client' });
  await waitFor('route', async () => (await httpGet(`http://${ip(100)}:15001/`, { host: HOST })).status === 200, 30_000);
  await closedLoop(TARGET, Math.min(2000, durationMs), conns); // warm-up

  const on = await measure(durationMs, conns, [client, server]);
  writeConfig(configDir, 'telemetry.yaml', `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: mesh-default, namespace: istio-system}
spec:
  metrics:
  - providers: [{name: prometheus}]
    overrides:
    - match: {metric: ALL_METRICS, mode: CLIENT_AND_SERVER}
      disabled: true
`);
  const before = (await httpGet(`http://${client.admin}/stats/prometheus`)).body.split('\n').filter((l) => l.startsWith('istio_requests_total')).length;
  await waitFor('metrics off', async () => {
    await httpGet(`http://${ip(100)}:15001/`, { host: HOST });
    const body = (await httpGet(`http://${client.admin}/stats/prometheus`)).body;
    return !body.split('\n').some((l) => l.startsWith('istio_requests_total{'));
  }, 30_000);
  const off = await measure(durationMs, conns, [client, server]);
  // Metrics on again: a third run shows how much of the difference is drift between runs.
  fs.rmSync(path.join(configDir, 'telemetry.yaml'));
  await waitFor('metrics on again', async () => {
    await httpGet(`http://${ip(100)}:15001/`, { host: HOST });
    const body = (await httpGet(`http://${client.admin}/stats/prometheus`)).body;
    return body.split('\n').some((l) => l.startsWith('istio_requests_total{'));
  }, 30_000);
  const again = await measure(durationMs, conns, [client, server]);
  const onCpu = (on.cpuUsPerRequest + again.cpuUsPerRequest) / 2;
  const share = onCpu > 0 ? (onCpu - off.cpuUsPerRequest) / onCpu : 0;
  const rows = [
    `| two sidecars, Istio metrics on (default) | ${on.rps.toFixed(0)} req/s | p50 ${on.p50.toFixed(2)} ms, p99 ${on.p99.toFixed(2)} ms, both proxies ${on.cpuUsPerRequest.toFixed(1)} µs CPU/request, failed ${on.failed} |`,
    `| two sidecars, all metrics disabled (Telemetry) | ${off.rps.toFixed(0)} req/s | p50 ${off.p50.toFixed(2)} ms, p99 ${off.p99.toFixed(2)} ms, both proxies ${off.cpuUsPerRequest.toFixed(1)} µs CPU/request, failed ${off.failed} |`,
    `| two sidecars, metrics on again (Telemetry removed) | ${again.rps.toFixed(0)} req/s | p50 ${again.p50.toFixed(2)} ms, p99 ${again.p99.toFixed(2)} ms, both proxies ${again.cpuUsPerRequest.toFixed(1)} µs CPU/request, failed ${again.failed} |`,
    `| telemetry's share of proxy CPU | ${(share * 100).toFixed(1)} % | (mean of the two "on" runs − off) / on; throughput on/off ${(((on.rps + again.rps) / 2) / off.rps).toFixed(2)}; ${before} istio_requests_total series |`,
  ];
  process.stdout.write(`\n| Telemetry benchmark (${values.duration} s each, ${conns} connections) | result | notes |\n|---|---|---|\n${rows.join('\n')}\n`);
  await stopAll();
}

main().catch(async (err: unknown) => {
  process.stderr.write(`telemetry bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
