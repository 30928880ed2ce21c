// Starts the real components for integration tests (control plane, proxies, upstreams) as child
// processes, waits until they are ready, and guarantees they are stopped when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTROL_MAIN, PROXY_MAIN, UPSTREAM_MAIN } from './repo.js';
import { httpGet } from './http.js';

export interface Proc {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

const live = new Set<Proc>();

export function startProcess(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const add = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const proc: Proc = {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        live.delete(proc);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
  live.add(proc);
  return proc;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

process.on('exit', () => {
  for (const p of live) p.child.kill('SIGKILL');
});

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000, proc?: Proc): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: process exited (${proc.child.exitCode}):\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${proc ? `\n--- output ---\n${proc.output().slice(-4000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `weft-${prefix}-`));
}

export interface ControlPlaneHandle extends Proc {
  configDir: string;
  stateDir: string;
  xds: string;
  http: string;
}

export async function startControlPlane(opts: { configDir: string; stateDir?: string; xdsPort: number; httpPort: number; debounceMs?: number; host?: string }): Promise<ControlPlaneHandle> {
  const stateDir = opts.stateDir ?? tempDir('state');
  // `host`: a test's own loopback address, so its ports never collide with other tests'.
  const xds = `${opts.host ?? '127.0.0.1'}:${opts.xdsPort}`;
  const http = `${opts.host ?? '127.0.0.1'}:${opts.httpPort}`;
  const p = startProcess([
    CONTROL_MAIN,
    '--config-dir', opts.configDir,
    '--state-dir', stateDir,
    '--xds-address', xds,
    '--http-address', http,
    '--debounce-after-ms', String(opts.debounceMs ?? 50),
    '--debounce-max-ms', '2000',
  ]);
  await waitFor('control plane ready', () => p.output().includes('weft-control-plane ready'), 15_000, p);
  return { ...p, configDir: opts.configDir, stateDir, xds, http };
}

export interface ProxyHandle extends Proc {
  ip: string;
  admin: string;
}

export async function startProxy(opts: {
  xds: string;
  ip: string;
  name: string;
  workload: string;
  namespace?: string;
  labels?: Record<string, string>;
  type?: 'sidecar' | 'router';
  serviceAccount?: string;
  portMap?: string;
  waitReady?: boolean;
  /** More proxy flags, e.g. ['--metrics-expiry-seconds', '2']. */
  extraArgs?: string[];
}): Promise<ProxyHandle> {
  const labels = Object.entries(opts.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const args = [
    PROXY_MAIN,
    '--xds-address', opts.xds,
    '--type', opts.type ?? 'sidecar',
    '--ip', opts.ip,
    '--name', opts.name,
    '--workload', opts.workload,
    '--namespace', opts.namespace ?? 'default',
    '--labels', labels,
    '--service-account', opts.serviceAccount ?? opts.workload,
  ];
  if (opts.portMap) args.push('--port-map', opts.portMap);
  if (opts.extraArgs) args.push(...opts.extraArgs);
  const p = startProcess(args);
  const admin = `${opts.ip}:15000`;
  if (opts.waitReady !== false) {
    await waitFor(`proxy ${opts.name} ready`, async () => (await httpGet(`http://${admin}/ready`)).status === 200, 15_000, p);
  }
  return { ...p, ip: opts.ip, admin };
}

export async function startUpstream(name: string, host: string, port: number, env: Record<string, string> = {}): Promise<Proc> {
  const p = startProcess([UPSTREAM_MAIN], { UPSTREAM_NAME: name, UPSTREAM_HOST: host, UPSTREAM_PORT: String(port), ...env });
  await waitFor(`upstream ${name}`, () => p.output().includes('upstream ready'), 10_000, p);
  return p;
}
