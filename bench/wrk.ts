// Max throughput with wrk (closed loop: each connection sends its next request as soon as the
// previous response arrives). wrk is C and multi-threaded, so it is not the bottleneck the way a
// Node client would be. Its text output is parsed here.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertLoopback } from './probe.js';
import { spawnChild, stopChild } from './procs.js';

export interface WrkOptions {
  wrk: string;
  host: string;
  port: number;
  path?: string;
  hostHeader?: string;
  connections: number;
  threads: number;
  durationS: number;
  /** Directory for the Lua script that sets the Host header. */
  scratchDir: string;
}

export interface WrkResult {
  rps: number;
  requests: number;
  /** Non-2xx/3xx responses plus socket errors. */
  errors: number;
  latencyAvgMs: number | undefined;
  latencyP50Ms: number | undefined;
  latencyP99Ms: number | undefined;
  raw: string;
}

/** Converts wrk's duration strings ("812.00us", "1.23ms", "2.01s", "1.00m") to milliseconds. */
export function wrkDurationMs(text: string): number | undefined {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (m === null) return undefined;
  const v = Number(m[1]);
  switch (m[2]) {
    case 'us':
      return v / 1000;
    case 'ms':
      return v;
    case 's':
      return v * 1000;
    case 'm':
      return v * 60_000;
    case 'h':
      return v * 3_600_000;
    default:
      return undefined;
  }
}

export function parseWrkOutput(out: string): WrkResult {
  const rpsMatch = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (rpsMatch === null) throw new Error(`could not find Requests/sec in wrk output:\n${out}`);
  const reqMatch = /(\d+) requests in/.exec(out);
  let errors = 0;
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  if (non2xx !== null) errors += Number(non2xx[1]);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (sock !== null) errors += Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]);
  const avg = /^\s*Latency\s+(\S+)/m.exec(out);
  const p50 = /^\s*50%\s+(\S+)/m.exec(out);
  const p99 = /^\s*99%\s+(\S+)/m.exec(out);
  return {
    rps: Number(rpsMatch[1]),
    requests: reqMatch !== null ? Number(reqMatch[1]) : 0,
    errors,
    latencyAvgMs: avg?.[1] !== undefined ? wrkDurationMs(avg[1]) : undefined,
    latencyP50Ms: p50?.[1] !== undefined ? wrkDurationMs(p50[1]) : undefined,
    latencyP99Ms: p99?.[1] !== undefined ? wrkDurationMs(p99[1]) : undefined,
    raw: out,
  };
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  assertLoopback(opts.host);
  const url = `http://${opts.host}:${opts.port}${opts.path ?? '/'}`;
  const args = [
    '-t',
    String(opts.threads),
    '-c',
    String(opts.connections),
    '-d',
    `${opts.durationS}s`,
    '--timeout',
    '5s',
    '--latency',
  ];
  if (opts.hostHeader !== undefined) {
    // Set through wrk's Lua API so the request carries exactly one Host header.
    const script = join(opts.scratchDir, `wrk-host-${opts.port}.lua`);
    writeFileSync(script, `wrk.headers["Host"] = ${JSON.stringify(opts.hostHeader)}\n`);
    args.push('-s', script);
  }
  args.push(url);
  const child = spawnChild(`wrk-${opts.port}`, opts.wrk, args, { keepOutput: 100_000 });
  const hardLimit = setTimeout(() => void stopChild(child, 500), (opts.durationS + 30) * 1000);
  const code = await child.exited;
  clearTimeout(hardLimit);
  const out = child.output();
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${out}`);
  return parseWrkOutput(out);
}
