// HTTP/2 (h2c, prior knowledge: h2load's default for http:// URLs) throughput and latency with
// h2load from Debian's nghttp2-client. Closed loop: each of `clients` connections keeps
// `streams` requests in flight. Its text output is parsed here.

import { assertLoopback } from './probe.js';
import { spawnChild, stopChild } from './procs.js';

export interface H2loadOptions {
  h2load: string;
  host: string;
  port: number;
  /** Sent as :authority (h2load -H). */
  authority?: string;
  clients: number;
  streams: number;
  threads: number;
  warmupS: number;
  durationS: number;
}

export interface H2loadResult {
  rps: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  /** Non-2xx responses. */
  non2xx: number;
  latencyMinMs: number | undefined;
  latencyMaxMs: number | undefined;
  latencyMeanMs: number | undefined;
  raw: string;
}

/** Converts h2load's durations ("812us", "1.23ms", "2.01s") to milliseconds. */
export function h2loadDurationMs(text: string): number | undefined {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (m === null) return undefined;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : v * 1000;
}

export function parseH2loadOutput(out: string): H2loadResult {
  const fin = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out);
  if (fin === null) throw new Error(`could not find "finished in ..., N req/s" in h2load output:\n${out.slice(-2000)}`);
  const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const lat = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
  return {
    rps: Number(fin[1]),
    succeeded: req !== null ? Number(req[4]) : 0,
    failed: req !== null ? Number(req[5]) : 0,
    errored: req !== null ? Number(req[6]) : 0,
    timeout: req !== null ? Number(req[7]) : 0,
    non2xx: codes !== null ? Number(codes[2]) + Number(codes[3]) + Number(codes[4]) : 0,
    latencyMinMs: lat?.[1] !== undefined ? h2loadDurationMs(lat[1]) : undefined,
    latencyMaxMs: lat?.[2] !== undefined ? h2loadDurationMs(lat[2]) : undefined,
    latencyMeanMs: lat?.[3] !== undefined ? h2loadDurationMs(lat[3]) : undefined,
    raw: out,
  };
}

export async function runH2load(o: H2loadOptions): Promise<H2loadResult> {
  assertLoopback(o.host);
  const args = [
    '-c',
    String(o.clients),
    '-m',
    String(o.streams),
    '-t',
    String(o.threads),
    '-D',
    `${o.durationS}s`,
  ];
  if (o.warmupS > 0) args.push(`--warm-up-time=${o.warmupS}s`);
  if (o.authority !== undefined) args.push('-H', `:authority: ${o.authority}`);
  args.push(`http://${o.host}:${o.port}/`);
  const child = spawnChild(`h2load-${o.port}`, o.h2load, args, { keepOutput: 100_000 });
  const hardLimit = setTimeout(() => void stopChild(child, 500), (o.warmupS + o.durationS + 30) * 1000);
  const code = await child.exited;
  clearTimeout(hardLimit);
  const out = child.output();
  if (code !== 0) throw new Error(`h2load exited with ${code}:\n${out.slice(-2000)}`);
  return parseH2loadOutput(out);
}
