// Process metrics for proxies and the control plane, named as Prometheus's client libraries name
// them (prom-client's defaults), so existing Node.js dashboards work: CPU, memory, start time,
// open file descriptors, heap, and event-loop lag. Everything is read at scrape time.
import fs from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Registry } from './registry.js';

/** Sampling resolution of the event-loop delay monitor, in milliseconds. */
const LOOP_RESOLUTION_MS = 10;
const NS = 1e-9;

export interface ProcessMetrics {
  /** Stops the event-loop delay monitor. */
  stop(): void;
}

/** The resident set size in bytes (one syscall; `memoryUsage().rss` reads /proc on Linux anyway). */
function rss(): number {
  return process.memoryUsage.rss();
}

function openFds(): number | undefined {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

export function registerProcessMetrics(registry: Registry): ProcessMetrics {
  const startSeconds = Math.round((Date.now() - performance.now()) / 1000);
  const one = (value: number): { labels: string[]; value: number }[] => [{ labels: [], value }];
  registry.counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    collect: () => one(process.cpuUsage().user / 1e6),
  });
  registry.counter({
    name: 'process_cpu_system_seconds_total',
    help: 'Total system CPU time spent in seconds.',
    collect: () => one(process.cpuUsage().system / 1e6),
  });
  registry.counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    collect: () => {
      const u = process.cpuUsage();
      return one((u.user + u.system) / 1e6);
    },
  });
  registry.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', collect: () => one(startSeconds) });
  registry.gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', collect: () => one(rss()) });
  registry.gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    collect: () => {
      const n = openFds();
      return n === undefined ? [] : one(n);
    },
  });
  registry.gauge({ name: 'nodejs_heap_size_total_bytes', help: 'Process heap size from Node.js in bytes.', collect: () => one(process.memoryUsage().heapTotal) });
  registry.gauge({ name: 'nodejs_heap_size_used_bytes', help: 'Process heap size used from Node.js in bytes.', collect: () => one(process.memoryUsage().heapUsed) });
  registry.gauge({ name: 'nodejs_external_memory_bytes', help: 'Node.js external memory size in bytes.', collect: () => one(process.memoryUsage().external) });
  registry.gauge({
    name: 'nodejs_version_info',
    help: 'Node.js version info.',
    labelNames: ['version'],
    collect: () => [{ labels: [process.version], value: 1 }],
  });

  // Event-loop delay since the previous scrape (the monitor is reset after each read).
  const loop: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  let snapshot = { mean: 0, min: 0, max: 0, p50: 0, p90: 0, p99: 0 };
  let taken = false;
  /** Reads the monitor once per render: the lag-seconds gauge renders first and takes it. */
  const read = (): typeof snapshot => {
    if (!taken) {
      const ok = loop.count > 0;
      snapshot = {
        mean: ok ? loop.mean * NS : 0,
        min: ok ? loop.min * NS : 0,
        max: ok ? loop.max * NS : 0,
        p50: ok ? loop.percentile(50) * NS : 0,
        p90: ok ? loop.percentile(90) * NS : 0,
        p99: ok ? loop.percentile(99) * NS : 0,
      };
      loop.reset();
      taken = true;
    }
    return snapshot;
  };
  registry.gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Mean event-loop delay since the previous scrape, in seconds.',
    collect: () => {
      taken = false;
      return one(read().mean);
    },
  });
  for (const k of ['min', 'max', 'p50', 'p90', 'p99'] as const) {
    registry.gauge({
      name: `nodejs_eventloop_lag_${k}_seconds`,
      help: `The ${k} of the event-loop delay since the previous scrape, in seconds.`,
      collect: () => one(read()[k]),
    });
  }
  return { stop: () => loop.disable() };
}
