// Config propagation delay: with N sidecars connected to a control plane, change a VirtualService
// through the apply API and time how long it takes until every proxy has ACKed the new route
// config (GET /debug/syncz), including the control plane's debounce.

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mkdirSync } from 'node:fs';
import type { ControlPlane, WeftProxy } from './weft.js';
import { readRssKiB, requireProxyAddressesFree, spawnProxy, startControlPlane, waitProxyReady } from './weft.js';
import { upstreamServiceEntry, upstreamVirtualService, writeConfigDirs } from './weft-config.js';
import { fetchSyncz, hasNewConfig, isAcked, ldsChanged } from './syncz.js';
import type { ProxyVersions } from './syncz.js';
import { bucketQuantile, diffHistograms, fetchHistogram } from './prom-histogram.js';
import { httpRequest, sleep, waitUntil } from './probe.js';
import { percentile } from './percentiles.js';

export const PROPAGATION_METRIC = 'weft_config_propagation_seconds';

export interface PropagationOptions {
  repoRoot: string;
  baseDir: string;
  proxies: number;
  /** How many VirtualService changes to time. */
  changes: number;
  xdsPort: number;
  httpPort: number;
  upstream: { host: string; port: number };
  /** Sidecar i gets address `${ipPrefix}.${i}` (127.0.4 by default). */
  ipPrefix: string;
  log: (s: string) => void;
}

export interface ChangeTiming {
  generation: number;
  /** POST until every proxy had ACKed, ms. */
  allAckedMs: number;
  /** Per-proxy time to ACK, ms (poll resolution ~10 ms). */
  perProxyP50Ms: number;
  perProxyP99Ms: number;
  /** Proxies whose LDS was re-sent by this change. */
  ldsResent: number;
}

export interface HistogramReport {
  labels: string;
  count: number;
  meanS: number | undefined;
  p50LeS: number | undefined;
  p99LeS: number | undefined;
}

export interface PropagationResult {
  proxies: number;
  startupMs: number;
  changes: ChangeTiming[];
  histogram: HistogramReport[] | undefined;
  histogramNote: string | undefined;
  proxyRssAvgKiB: number | undefined;
  controlPlaneRssKiB: number | undefined;
}

async function waitAllSynced(httpPort: number, n: number, timeoutMs: number): Promise<ProxyVersions[]> {
  let latest: ProxyVersions[] = [];
  await waitUntil(
    `${n} proxies in /debug/syncz with LDS and RDS ACKed`,
    async () => {
      latest = await fetchSyncz(httpPort);
      const synced = latest.filter((p) => isAcked(p.lds) && isAcked(p.rds)).length;
      if (synced >= n) return true;
      throw new Error(`${latest.length} proxies connected, ${synced} with LDS and RDS ACKed`);
    },
    timeoutMs,
    200,
  );
  return latest;
}

async function timeChange(cp: ControlPlane, generation: number, n: number, timeoutMs: number): Promise<ChangeTiming> {
  const before = new Map((await fetchSyncz(cp.httpPort)).map((p) => [p.id, p]));
  const doneAt = new Map<string, number>();
  const t0 = performance.now();
  const r = await httpRequest('127.0.0.1', cp.httpPort, '/debug/config/apply', {
    method: 'POST',
    headers: { 'content-type': 'application/yaml', 'x-weft-source': `bench-change-${generation}.yaml` },
    body: upstreamVirtualService(generation),
    timeoutMs: 5000,
  });
  if (r.status !== 200) throw new Error(`POST /debug/config/apply: status ${r.status}: ${r.body.slice(0, 500)}`);
  let ldsResent: number;
  const deadline = t0 + timeoutMs;
  while (true) {
    const now = performance.now();
    const list = await fetchSyncz(cp.httpPort);
    ldsResent = 0;
    for (const p of list) {
      const b = before.get(p.id);
      if (ldsChanged(p, b)) ldsResent++;
      if (!doneAt.has(p.id) && hasNewConfig(p, b)) doneAt.set(p.id, now - t0);
    }
    if (doneAt.size >= n) break;
    if (now > deadline) {
      throw new Error(`only ${doneAt.size} of ${n} proxies ACKed the change within ${timeoutMs} ms`);
    }
    await sleep(10);
  }
  const times = Float64Array.from(doneAt.values()).sort();
  return {
    generation,
    allAckedMs: times[times.length - 1] ?? Number.NaN,
    perProxyP50Ms: percentile(times, 50),
    perProxyP99Ms: percentile(times, 99),
    ldsResent,
  };
}

export async function runPropagation(o: PropagationOptions): Promise<PropagationResult> {
  for (let i = 1; i <= o.proxies; i++) await requireProxyAddressesFree(`prop-${i}`, `${o.ipPrefix}.${i}`);
  const dir = join(o.baseDir, 'propagation');
  mkdirSync(dir, { recursive: true });
  const dirs = writeConfigDirs(dir, {
    'upstream.yaml': upstreamServiceEntry(o.upstream.host, o.upstream.port),
    'routes.yaml': upstreamVirtualService(0),
  });
  const cp = await startControlPlane({
    repoRoot: o.repoRoot,
    name: 'control-plane-propagation',
    configDir: dirs.configDir,
    stateDir: dirs.stateDir,
    xdsPort: o.xdsPort,
    httpPort: o.httpPort,
  });
  const proxies: WeftProxy[] = [];
  try {
    const t0 = performance.now();
    for (let i = 1; i <= o.proxies; i++) {
      proxies.push(
        spawnProxy({
          repoRoot: o.repoRoot,
          xdsPort: o.xdsPort,
          ip: `${o.ipPrefix}.${i}`,
          name: `prop-${i}`,
          workload: 'prop',
          labels: { app: 'prop', version: 'v1' },
          serviceAccount: 'prop',
        }),
      );
    }
    await Promise.all(proxies.map((p) => waitProxyReady(p, 120_000)));
    await waitAllSynced(o.httpPort, o.proxies, 60_000);
    const startupMs = performance.now() - t0;
    o.log(`  ${o.proxies} proxies ready and synced in ${(startupMs / 1000).toFixed(1)} s`);
    await sleep(1000);

    let histBefore;
    let histogramNote: string | undefined;
    try {
      histBefore = await fetchHistogram(o.httpPort, PROPAGATION_METRIC);
    } catch (err) {
      histogramNote = `could not read /metrics: ${(err as Error).message}`;
    }

    const changes: ChangeTiming[] = [];
    for (let g = 1; g <= o.changes; g++) {
      const t = await timeChange(cp, g, o.proxies, 60_000);
      o.log(
        `  change ${g}: all ${o.proxies} ACKed after ${t.allAckedMs.toFixed(0)} ms ` +
          `(per proxy p50 ${t.perProxyP50Ms.toFixed(0)} ms, p99 ${t.perProxyP99Ms.toFixed(0)} ms; LDS re-sent to ${t.ldsResent})`,
      );
      changes.push(t);
      await sleep(500);
    }

    let histogram: HistogramReport[] | undefined;
    if (histBefore !== undefined) {
      await sleep(300);
      const after = await fetchHistogram(o.httpPort, PROPAGATION_METRIC);
      if (after.length === 0) histogramNote = `${PROPAGATION_METRIC} not exposed by the control plane`;
      else {
        histogram = diffHistograms(histBefore, after)
          .filter((s) => s.count > 0)
          .map((s) => ({
            labels: s.labels,
            count: s.count,
            meanS: s.count > 0 ? s.sum / s.count : undefined,
            p50LeS: bucketQuantile(s, 0.5),
            p99LeS: bucketQuantile(s, 0.99),
          }));
        if (histogram.length === 0) histogramNote = `${PROPAGATION_METRIC} recorded nothing during the changes`;
      }
    }

    const rss = proxies.map((p) => readRssKiB(p.child.pid)).filter((v): v is number => v !== undefined);
    return {
      proxies: o.proxies,
      startupMs,
      changes,
      histogram,
      histogramNote,
      proxyRssAvgKiB: rss.length > 0 ? rss.reduce((a, b) => a + b, 0) / rss.length : undefined,
      controlPlaneRssKiB: readRssKiB(cp.child.pid),
    };
  } catch (err) {
    throw await withProcessState(err, cp, proxies);
  } finally {
    await Promise.all(proxies.map((p) => p.stop()));
    await cp.stop();
  }
}

/** Adds to an error whether the control plane (and how many proxies) had exited, with its output. */
async function withProcessState(err: unknown, cp: ControlPlane, proxies: WeftProxy[]): Promise<Error> {
  // A dropped connection is often seen before the exit of the process that dropped it.
  await Promise.race([cp.child.exited, sleep(500)]);
  const base = err instanceof Error ? err.message : String(err);
  const notes: string[] = [];
  if (!cp.child.isRunning()) notes.push(`the control plane exited; its last output:\n${cp.child.output().trim().slice(-1500)}`);
  const dead = proxies.filter((p) => !p.child.isRunning());
  if (dead.length > 0) {
    const first = dead[0] as WeftProxy;
    notes.push(`${dead.length} proxies exited; ${first.name}'s last output:\n${first.child.output().trim().slice(-800)}`);
  }
  return new Error(notes.length > 0 ? `${base}; ${notes.join('\n')}` : base, { cause: err });
}
