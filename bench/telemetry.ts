// Telemetry cost benchmark (`npm run build && node dist/bench/telemetry.js [--duration=S]
// [--connections=N] [--rate=R] [--rounds=N]`): two sidecars (client → server → app), keep-alive HTTP/1.1, five
// rows in one run, each set by an explicit mesh-wide Telemetry (./telemetry-rows.ts): no telemetry,
// metrics, metrics + tracing 1 %, metrics + tracing 100 %, no telemetry again (the noise).
// Tracing exports OTLP/HTTP to the control plane's own collector (POST /v1/traces). `--rounds=N`
// runs all rows N times, interleaved, and reports each row's median round.
//
// Per row, after the config has reached both proxies and a short warm-up: latency at a fixed rate
// (open loop, ./loadgen.ts, `duration/2` s), then max throughput (closed loop, ./closed-loop.ts,
// `duration/2` s). For each phase the two proxies' CPU per request (their own
// process_cpu_seconds_total) and the control plane's (the collector); over the row, the spans the
// proxies exported and dropped (weft_tracing_spans_total), so a row at 100 % is seen to be real.
// Between phases the exporters are left to empty their buffers, so one phase's spans are not
// posted (and paid for) in the next. Addresses 127.0.62.x. Prints a markdown table
// (./telemetry-report.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeConfig } from '../test/harness/config.js';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ProxyHandle } from '../test/harness/processes.js';
import { httpGet } from '../test/harness/http.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';
import { closedLoop } from './closed-loop.js';
import { runFixedRate } from './loadgen.js';
import { machineBusyPercent } from './machine.js';
import { BENCH_WORKLOAD, collectorConfig, listenersMatchRow, ROWS, rowTelemetry, type RowSpec } from './telemetry-rows.js';
import { medianRound, renderTable, type PhaseCpu, type RowResult, type SpanCounts } from './telemetry-report.js';

const ip = (n: number): string => `127.0.62.${n}`;
const HOST = 'bench.default.svc.cluster.local';
const CP_HTTP_PORT = 15014;
/** The client sidecar's outbound listener, asked for the bench service. */
const TARGET = { host: ip(100), port: 15001, hostHeader: HOST };

const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

async function scrape(url: string): Promise<ReturnType<typeof parseExposition>> {
  const r = await httpGet(url);
  if (r.status !== 200) throw new Error(`GET ${url}: status ${r.status}`);
  return parseExposition(r.body);
}

const sum = (xs: readonly { value: number }[]): number => xs.reduce((a, x) => a + x.value, 0);

interface Counters {
  proxyCpuS: number;
  collectorCpuS: number;
  spans: SpanCounts;
}

async function counters(proxies: readonly ProxyHandle[], cpHttp: string): Promise<Counters> {
  const [cp, ...ps] = await Promise.all([scrape(`http://${cpHttp}/metrics`), ...proxies.map((p) => scrape(`http://${p.admin}/stats/prometheus`))]);
  return {
    proxyCpuS: ps.reduce((a, m) => a + sum(findSamples(m, 'process_cpu_seconds_total')), 0),
    collectorCpuS: cp ? sum(findSamples(cp, 'process_cpu_seconds_total')) : 0,
    spans: {
      exported: ps.reduce((a, m) => a + sum(findSamples(m, 'weft_tracing_spans_total', { result: 'exported' })), 0),
      dropped: ps.reduce((a, m) => a + sum(findSamples(m, 'weft_tracing_spans_total', { result: 'dropped' })), 0),
    },
  };
}

const cpuBetween = (a: Counters, b: Counters, requests: number): PhaseCpu => ({
  requests,
  proxyCpuS: b.proxyCpuS - a.proxyCpuS,
  collectorCpuS: b.collectorCpuS - a.collectorCpuS,
});

/** Waits (bounded) until the proxies' span counters stop moving: their exporters are empty. */
async function spansSettled(proxies: readonly ProxyHandle[], cpHttp: string): Promise<void> {
  let last = -1;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const c = await counters(proxies, cpHttp);
    const n = c.spans.exported + c.spans.dropped;
    if (n === last) return;
    last = n;
    await new Promise((r) => setTimeout(r, 500));
  }
  log('  warning: span counters still moving after 10 s');
}

async function listenersOf(p: ProxyHandle): Promise<string> {
  return JSON.stringify((JSON.parse((await httpGet(`http://${p.admin}/config_dump`)).body) as { listeners: unknown[] }).listeners);
}

async function applyRow(configDir: string, row: RowSpec, proxies: readonly ProxyHandle[]): Promise<void> {
  writeConfig(configDir, 'telemetry.yaml', rowTelemetry(row));
  for (const p of proxies) {
    await waitFor(`${p.ip} has the config of "${row.label}"`, async () => listenersMatchRow(await listenersOf(p), row), 30_000);
  }
}

async function measureRow(row: RowSpec, o: { phaseMs: number; conns: number; rate: number; proxies: readonly ProxyHandle[]; cpHttp: string }): Promise<RowResult> {
  await closedLoop(TARGET, 1000, o.conns); // warm-up of the row's code paths
  await spansSettled(o.proxies, o.cpHttp);
  const c0 = await counters(o.proxies, o.cpHttp);
  const fixed = await runFixedRate({ host: TARGET.host, port: TARGET.port, hostHeader: HOST, rate: o.rate, connections: o.conns, warmupMs: 0, durationMs: o.phaseMs });
  const c1 = await counters(o.proxies, o.cpHttp);
  await spansSettled(o.proxies, o.cpHttp);
  const c2 = await counters(o.proxies, o.cpHttp);
  const max = await closedLoop(TARGET, o.phaseMs, o.conns);
  const c3 = await counters(o.proxies, o.cpHttp);
  await spansSettled(o.proxies, o.cpHttp);
  const c4 = await counters(o.proxies, o.cpHttp);
  const r: RowResult = {
    label: row.label,
    maxRps: max.rps,
    closed: cpuBetween(c2, c3, max.requests),
    closedFailed: max.failed,
    p50: fixed.latency.p50,
    p90: fixed.latency.p90,
    p99: fixed.latency.p99,
    achievedRps: fixed.achievedRps,
    open: cpuBetween(c0, c1, fixed.completed),
    openFailed: fixed.errors + fixed.incomplete,
    spans: { exported: c4.spans.exported - c0.spans.exported, dropped: c4.spans.dropped - c0.spans.dropped },
    rowRequests: fixed.completed + max.requests,
  };
  log(
    `  ${row.label}: ${r.maxRps.toFixed(0)} req/s max; at ${o.rate} req/s (achieved ${fixed.achievedRps.toFixed(0)}) p50 ${r.p50.toFixed(2)} p90 ${r.p90.toFixed(2)} p99 ${r.p99.toFixed(2)} ms, ` +
      `send lag p99 ${fixed.sendLag.p99.toFixed(2)} ms; spans exported ${r.spans.exported}, dropped ${r.spans.dropped} for ${r.rowRequests} requests` +
      (fixed.firstError ? `; first error: ${fixed.firstError}` : ''),
  );
  return r;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      connections: { type: 'string', default: '16' },
      rate: { type: 'string', default: '1000' },
      // Interleaved rounds of all rows: on a shared machine the noise between two measurements of
      // the same row is larger than telemetry's cost; the median round of each row is reported.
      rounds: { type: 'string', default: '1' },
    },
  });
  const rounds = Math.round(Number(values.rounds));
  const durationS = Number(values.duration);
  const conns = Math.round(Number(values.connections));
  const rate = Number(values.rate);
  if (!(durationS >= 1 && durationS <= 120) || !(conns >= 1 && conns <= 256) || !(rate > 0 && rate <= 20_000) || !(rounds >= 1 && rounds <= 9)) {
    throw new Error('--duration must be 1..120 s, --connections 1..256, --rate 1..20000, --rounds 1..9');
  }
  const phaseMs = (durationS * 1000) / 2;
  const busyBeforePercent = await machineBusyPercent(1000);
  const loadAverage1m = os.loadavg()[0] ?? 0;
  log(`telemetry bench: load average ${loadAverage1m.toFixed(2)}, CPU busy ${busyBeforePercent?.toFixed(0) ?? '?'} % before the run`);

  const configDir = tempDir('bench-telemetry');
  const stateDir = tempDir('bench-telemetry-state');
  fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
  writeConfig(configDir, 'base.yaml', BENCH_WORKLOAD);
  writeConfig(path.join(stateDir, 'registry'), 'we.yaml', `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: bench-0, namespace: default}
spec:
  address: ${ip(101)}
  ports: {http: 80}
  labels: {app: bench, weft.dev/workload: bench}
  serviceAccount: bench
`);
  writeConfig(configDir, 'collector.yaml', collectorConfig(ip(1), CP_HTTP_PORT));
  const first = ROWS[0];
  if (!first) throw new Error('no rows');
  writeConfig(configDir, 'telemetry.yaml', rowTelemetry(first));
  const cp = await startControlPlane({ configDir, stateDir, xdsPort: 15010, httpPort: CP_HTTP_PORT, host: ip(1) });
  await startUpstream('bench', ip(101), 9080);
  const server = await startProxy({ xds: cp.xds, ip: ip(101), name: 'bench-0', workload: 'bench', labels: { app: 'bench' }, serviceAccount: 'bench' });
  const client = await startProxy({ xds: cp.xds, ip: ip(100), name: 'client-0', workload: 'client', labels: { app: 'client' }, serviceAccount: 'client' });
  const proxies = [client, server];
  await waitFor('route', async () => (await httpGet(`http://${ip(100)}:15001/`, { host: HOST })).status === 200, 30_000);
  // Warm-up of the whole path: long enough for V8 to optimise the proxies' hot code and size their
  // heaps (with 2 s, row 1 read 20–30 % more CPU per request than its repeat, row 5, on a quiet machine).
  await closedLoop(TARGET, 8000, conns);
  await runFixedRate({ host: TARGET.host, port: TARGET.port, hostHeader: HOST, rate, connections: conns, warmupMs: 0, durationMs: 2000 });

  const perRow: RowResult[][] = ROWS.map(() => []);
  for (let round = 0; round < rounds; round++) {
    if (rounds > 1) log(`round ${round + 1} of ${rounds}`);
    for (const [i, row] of ROWS.entries()) {
      await applyRow(configDir, row, proxies);
      perRow[i]!.push(await measureRow(row, { phaseMs, conns, rate, proxies, cpHttp: cp.http }));
    }
  }
  const results = perRow.map(medianRound);
  const stored = JSON.parse((await httpGet(`http://${cp.http}/debug/traces`)).body) as { traces?: unknown[] };
  log(`  the collector (control plane) holds ${stored.traces?.length ?? 0} traces (it keeps the last 200)`);
  const table = renderTable(results, {
    date: new Date().toISOString(),
    phaseSeconds: phaseMs / 1000,
    rate,
    connections: conns,
    loadAverage1m,
    busyBeforePercent,
    cores: os.availableParallelism(),
  });
  process.stdout.write(`\n${table}`);
  await stopAll();
}

main().catch(async (err: unknown) => {
  process.stderr.write(`telemetry bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
