// What machine and software a run was measured on.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import { commandOutput } from './tools.js';

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  nginx: string;
  wrk: string;
  /** CPU busy (all cores) just before the run, from other processes; see machineBusyPercent. */
  busyBeforePercent?: number;
  loadAverage1m: number;
}

export function cpuModel(cpuinfo: string): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
  return m?.[1]?.trim() ?? 'unknown';
}

export function machineInfo(nginxVersion: string, wrkBin: string | undefined): MachineInfo {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux
  }
  const nprocOut = commandOutput('nproc', []);
  let wrk = 'not installed';
  if (wrkBin !== undefined) {
    // `wrk -v` prints its version and usage, and exits non-zero.
    const out = commandOutput('sh', ['-c', `"${wrkBin}" -v 2>&1 || true`]);
    wrk = /^wrk\s+(\S+)/m.exec(out)?.[1] ?? 'unknown';
  }
  return {
    date: new Date().toISOString(),
    nproc: nprocOut !== '' ? Number(nprocOut) : os.availableParallelism(),
    cpuModel: cpuModel(cpuinfo),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    nginx: nginxVersion,
    wrk,
    loadAverage1m: os.loadavg()[0] ?? 0,
  };
}

function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * Percent of all cores busy over `sampleMs` (from /proc/stat). Taken before the benchmark starts
 * anything, it shows how much other work shares the machine, which widens the tail latencies.
 */
export async function machineBusyPercent(sampleMs = 1000): Promise<number | undefined> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, sampleMs));
  const b = cpuTimes();
  if (a === undefined || b === undefined || b.total <= a.total) return undefined;
  return ((b.busy - a.busy) / (b.total - a.total)) * 100;
}
