// A real Prometheus server (Debian package `prometheus`, /usr/bin/prometheus) for integration
// tests: its own process with a temporary TSDB, listening on the address the test chooses, and
// small helpers for its HTTP API (instant queries, targets).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from './http.js';
import { tempDir, waitFor } from './processes.js';

export const PROMETHEUS_BIN = process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusHandle {
  url: string;
  output: () => string;
  /** An instant query (at `time`, seconds, default now): the vector's samples. */
  query(q: string, time?: number): Promise<PromSample[]>;
  /** Active targets from /api/v1/targets. */
  targets(): Promise<{ labels: Record<string, string>; health: string; scrapeUrl: string; lastError: string }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: { configYaml: string; listen: string }): Promise<PrometheusHandle> {
  const dir = tempDir('prometheus');
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, opts.configYaml);
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=${opts.listen}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const add = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 100_000) out = out.slice(-50_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const url = `http://${opts.listen}`;
  const api = async (p: string): Promise<unknown> => {
    const r = await request(`${url}${p}`, { timeoutMs: 20_000 });
    const body = JSON.parse(r.body) as { status: string; data?: unknown; error?: string };
    if (r.status !== 200 || body.status !== 'success') throw new Error(`prometheus ${p}: ${r.status} ${body.error ?? r.body}`);
    return body.data;
  };
  const handle: PrometheusHandle = {
    url,
    output: () => out,
    async query(q, time) {
      const params = new URLSearchParams({ query: q });
      if (time !== undefined) params.set('time', time.toFixed(3));
      const data = (await api(`/api/v1/query?${params.toString()}`)) as { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
      if (data.resultType !== 'vector') throw new Error(`query ${q}: expected a vector, got ${data.resultType}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async targets() {
      const data = (await api('/api/v1/targets?state=active')) as { activeTargets: { labels: Record<string, string>; health: string; scrapeUrl: string; lastError: string }[] };
      return data.activeTargets;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
  await waitFor(
    'prometheus ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${out}`);
      return (await request(`${url}/-/ready`, { timeoutMs: 2000 })).status === 200;
    },
    30_000,
  );
  return handle;
}
