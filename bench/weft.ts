// Weft processes for the benchmark: the control plane and sidecar proxies, started from the
// compiled JS with this Node binary. Every start is bounded in time and fails with a message that
// says what was missing, so the rest of the benchmark can go on without the Weft targets.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Child } from './procs.js';
import { spawnChild, stopChild, waitForLine } from './procs.js';
import { httpRequest, requireFree, waitUntil } from './probe.js';

export const CONTROL_READY_LINE = 'weft-control-plane ready';
export const ADMIN_PORT = 15000;
export const STATS_PORT = 15090;
export const OUTBOUND_PORT = 15001;

export interface ControlPlaneOptions {
  repoRoot: string;
  name: string;
  configDir: string;
  stateDir: string;
  xdsPort: number;
  httpPort: number;
  readyTimeoutMs?: number;
}

export interface ControlPlane {
  child: Child;
  httpPort: number;
  xdsPort: number;
  stop(): Promise<void>;
}

function requireBuilt(repoRoot: string, rel: string, what: string): string {
  const p = join(repoRoot, rel);
  if (!existsSync(p)) throw new Error(`${what} is not built: ${rel} does not exist (npm run build)`);
  return p;
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const main = requireBuilt(o.repoRoot, 'dist/src/control/main.js', 'the control plane');
  const child = spawnChild(o.name, process.execPath, [
    main,
    '--config-dir',
    o.configDir,
    '--state-dir',
    o.stateDir,
    '--xds-address',
    `127.0.0.1:${o.xdsPort}`,
    '--http-address',
    `127.0.0.1:${o.httpPort}`,
    '--debounce-after-ms',
    '100',
    '--debounce-max-ms',
    '10000',
  ], { cwd: o.repoRoot });
  const cp: ControlPlane = { child, httpPort: o.httpPort, xdsPort: o.xdsPort, stop: () => stopChild(child) };
  try {
    await waitForLine(child, CONTROL_READY_LINE, o.readyTimeoutMs ?? 20_000);
  } catch (err) {
    await cp.stop();
    throw err;
  }
  return cp;
}

export interface ProxyOptions {
  repoRoot: string;
  xdsPort: number;
  ip: string;
  name: string;
  workload: string;
  labels: Record<string, string>;
  serviceAccount: string;
}

export interface WeftProxy {
  child: Child;
  ip: string;
  name: string;
  stop(): Promise<void>;
}

/** Spawns a sidecar proxy; call waitProxyReady() before using it. */
export function spawnProxy(o: ProxyOptions): WeftProxy {
  const main = requireBuilt(o.repoRoot, 'dist/src/proxy/main.js', 'the proxy');
  const labels = Object.entries(o.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const child = spawnChild(`proxy-${o.name}`, process.execPath, [
    main,
    '--xds-address',
    `127.0.0.1:${o.xdsPort}`,
    '--type',
    'sidecar',
    '--ip',
    o.ip,
    '--name',
    o.name,
    '--namespace',
    'default',
    '--workload',
    o.workload,
    '--labels',
    labels,
    '--service-account',
    o.serviceAccount,
    '--admin-port',
    String(ADMIN_PORT),
    '--stats-port',
    String(STATS_PORT),
    '--outbound-port',
    String(OUTBOUND_PORT),
  ], { cwd: o.repoRoot });
  return { child, ip: o.ip, name: o.name, stop: () => stopChild(child) };
}

export async function waitProxyReady(p: WeftProxy, timeoutMs = 30_000): Promise<void> {
  try {
    await waitUntil(
      `proxy ${p.name}: GET http://${p.ip}:${ADMIN_PORT}/ready to answer 200`,
      async () => {
        if (!p.child.isRunning()) throw new Error(`proxy exited:\n${p.child.output().trim().slice(-2000)}`);
        return (await httpRequest(p.ip, ADMIN_PORT, '/ready', { timeoutMs: 1000 })).status === 200;
      },
      timeoutMs,
      100,
    );
  } catch (err) {
    const out = p.child.output().trim();
    const msg = err instanceof Error ? err.message : String(err);
    const withOutput = out !== '' && !msg.includes(out.slice(-200));
    throw new Error(withOutput ? `${msg}\n--- proxy output ---\n${out.slice(-2000)}` : msg, { cause: err });
  }
}

/** Fails clearly when the proxy's admin, stats or outbound port on its address is taken. */
export function requireProxyAddressesFree(name: string, ip: string, extraPorts: number[] = []): Promise<void> {
  return requireFree(
    `proxy ${name}`,
    [ADMIN_PORT, OUTBOUND_PORT, STATS_PORT, ...extraPorts].map((port) => ({ host: ip, port })),
  );
}

export async function startProxy(o: ProxyOptions, timeoutMs = 30_000, extraPorts: number[] = []): Promise<WeftProxy> {
  await requireProxyAddressesFree(o.name, o.ip, extraPorts);
  const p = spawnProxy(o);
  try {
    await waitProxyReady(p, timeoutMs);
  } catch (err) {
    await p.stop();
    throw err;
  }
  return p;
}

/**
 * Waits until a request through the sidecar's outbound listener with `Host: host` gets 200 and
 * the expected body size, i.e. the route config has arrived and works end to end.
 */
export async function waitRouteWorks(ip: string, host: string, bodyBytes: number, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    `a 200 with a ${bodyBytes}-byte body from ${ip}:${OUTBOUND_PORT} with Host: ${host}`,
    async () => {
      const r = await httpRequest(ip, OUTBOUND_PORT, '/', { headers: { host }, timeoutMs: 2000 });
      const last = `status ${r.status}, ${r.body.length} bytes${r.status !== 200 ? `: ${r.body.slice(0, 200)}` : ''}`;
      if (r.status === 200 && r.body.length === bodyBytes) return true;
      throw new Error(last);
    },
    timeoutMs,
    200,
  );
}

/** Resident set size of a process in KiB (VmRSS from /proc/PID/status), or undefined. */
export function readRssKiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m?.[1] !== undefined ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
