// The benchmark's results as markdown: printed to the terminal and appended to
// docs/performance.md as a dated section.

import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FixedRateResult } from './loadgen.js';
import type { MachineInfo } from './machine.js';
import type { PropagationResult } from './propagation.js';
import { TCP_SERVICE_PORT } from './proto-targets.js';
import type { ProtoReport } from './proto-targets.js';
import type { WrkResult } from './wrk.js';

export type TargetId = 'direct' | 'nginx1' | 'nginx2' | 'weft1' | 'weft2';

export const TARGET_LABELS: Record<TargetId, string> = {
  direct: 'direct (nginx upstream)',
  nginx1: 'one nginx hop',
  nginx2: 'two nginx hops',
  weft1: 'one Weft proxy',
  weft2: 'two Weft proxies',
};

export interface TargetResult {
  id: TargetId;
  /** Why the target could not be measured at all. */
  error?: string;
  fixed?: FixedRateResult;
  fixedError?: string;
  max?: WrkResult;
  maxError?: string;
}

export interface BenchSettings {
  rate: number;
  connections: number;
  warmupS: number;
  durationS: number;
  wrkDurationS: number;
  wrkThreads: number;
}

export interface BenchReport {
  machine: MachineInfo;
  settings: BenchSettings;
  targets: TargetResult[];
  weftRssKiB?: number;
  weftRssError?: string;
  propagation?: PropagationResult;
  propagationError?: string;
  /** HTTP/2 and TCP through two sidecars beside their direct baselines (--only=h2,tcp). */
  proto?: ProtoReport;
  protoError?: string;
}

const ms = (v: number | undefined, digits = 3): string =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
const signed = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;
const ratio = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? 'n/a' : `${v.toFixed(2)}x`);

function oneLine(s: string, max = 160): string {
  const first = s.split('\n').find((l) => l.trim() !== '') ?? s;
  return (first.length > max ? `${first.slice(0, max)}...` : first).replace(/\|/g, '\\|');
}

function table(head: string[], rows: string[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

function find(r: BenchReport, id: TargetId): TargetResult | undefined {
  return r.targets.find((t) => t.id === id);
}

/** Latency added over the direct target at a percentile (ms), if both were measured. */
export function added(r: BenchReport, id: TargetId, p: 'p50' | 'p99'): number | undefined {
  const base = find(r, 'direct')?.fixed?.latency[p];
  const v = find(r, id)?.fixed?.latency[p];
  return base === undefined || v === undefined ? undefined : v - base;
}

/** a/b when both are positive numbers. */
function safeRatio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a)) return undefined;
  return a / b;
}

function ratioRows(r: BenchReport): string[][] {
  const rows: string[][] = [];
  const pairs: [TargetId, TargetId, string][] = [
    ['weft1', 'nginx1', 'one Weft proxy vs one nginx hop'],
    ['weft2', 'nginx2', 'two Weft proxies vs two nginx hops'],
  ];
  for (const [w, n, label] of pairs) {
    rows.push([
      label,
      ratio(safeRatio(find(r, w)?.max?.rps, find(r, n)?.max?.rps)),
      ratio(safeRatio(added(r, w, 'p50'), added(r, n, 'p50'))),
      ratio(safeRatio(added(r, w, 'p99'), added(r, n, 'p99'))),
    ]);
  }
  return rows;
}

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`## Run of ${m.date.slice(0, 10)} ${m.date.slice(11, 16)} UTC`);
  out.push('');
  out.push(
    `Machine: ${m.nproc} cores (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.kernel}; ` +
      `Node ${m.node}; nginx ${m.nginx}; wrk ${m.wrk}. ` +
      `Before the run: load average ${m.loadAverage1m.toFixed(2)}, CPU busy ${ms(m.busyBeforePercent, 0)}% from other processes.`,
  );
  out.push('');
  if (r.targets.length > 0) out.push(...renderHttp1(r));
  out.push(
    r.weftRssKiB !== undefined
      ? `Idle RSS of a Weft sidecar (config applied, 5 s idle): ${(r.weftRssKiB / 1024).toFixed(1)} MiB.`
      : `Idle RSS of a Weft sidecar: n/a (${oneLine(r.weftRssError ?? 'not measured')}).`,
  );
  out.push('');
  out.push(...renderProto(r));
  out.push(...renderPropagation(r));
  return `${out.join('\n')}\n`;
}

/** The HTTP/1.1 latency and max-throughput tables (direct, nginx and Weft targets). */
function renderHttp1(r: BenchReport): string[] {
  const s = r.settings;
  const out: string[] = [];
  out.push(
    `Latency: open loop, ${s.rate} requests/s over ${s.connections} keep-alive connections, ` +
      `${s.warmupS} s warm-up then ${s.durationS} s recorded, measured from each request's intended send time. ` +
      `Max throughput: wrk, closed loop, ${s.connections} connections, ${s.wrkThreads} thread(s), ${s.wrkDurationS} s. ` +
      'Body: 1 KiB. Latencies in ms.',
  );
  out.push('');
  const rows = r.targets.map((t) => {
    const f = t.fixed?.latency;
    const notes: string[] = [];
    if (t.error !== undefined) notes.push(oneLine(t.error));
    if (t.fixedError !== undefined) notes.push(`latency: ${oneLine(t.fixedError)}`);
    if (t.maxError !== undefined) notes.push(`max rps: ${oneLine(t.maxError)}`);
    if (t.fixed !== undefined && t.fixed.achievedRps < 0.95 * s.rate) {
      notes.push(`could not keep up: ${t.fixed.achievedRps.toFixed(0)} of ${s.rate} rps, latency is queueing`);
    }
    if (t.fixed !== undefined && t.fixed.errors + t.fixed.incomplete > 0) {
      notes.push(`${t.fixed.errors} errors, ${t.fixed.incomplete} incomplete${t.fixed.firstError ? ` (${oneLine(t.fixed.firstError, 80)})` : ''}`);
    }
    if (t.max !== undefined && t.max.errors > 0) notes.push(`wrk: ${t.max.errors} errors`);
    return [
      TARGET_LABELS[t.id],
      ms(f?.p50),
      ms(f?.p90),
      ms(f?.p99),
      t.id === 'direct' ? '—' : signed(added(r, t.id, 'p50')),
      t.id === 'direct' ? '—' : signed(added(r, t.id, 'p99')),
      t.max !== undefined ? Math.round(t.max.rps).toString() : 'n/a',
      notes.join('; '),
    ];
  });
  out.push(table(['target', 'p50', 'p90', 'p99', 'added p50', 'added p99', 'max rps', 'notes'], rows));
  out.push('');
  out.push(table(['comparison', 'throughput ratio', 'added-latency ratio p50', 'added-latency ratio p99'], ratioRows(r)));
  out.push('');
  out.push(
    'Ratios: throughput = Weft rps / nginx rps (higher is better); added latency = (Weft − direct) / (nginx − direct) ' +
      '(lower is better; n/a when nginx adds nothing measurable).',
  );
  out.push('');
  const gen = r.targets.filter((t) => t.fixed !== undefined);
  if (gen.length > 0) {
    out.push('<details><summary>Load generator health and latency detail</summary>');
    out.push('');
    out.push(
      table(
        ['target', 'achieved rps', 'p99.9', 'max', 'service p50 / p99 (from actual send)', 'send lag p99 / max', 'generator CPU', 'wrk p50 / p99'],
        gen.map((t) => {
          const f = t.fixed as FixedRateResult;
          return [
            TARGET_LABELS[t.id],
            f.achievedRps.toFixed(0),
            ms(f.latency.p999),
            ms(f.latency.max),
            `${ms(f.serviceLatency.p50)} / ${ms(f.serviceLatency.p99)}`,
            `${ms(f.sendLag.p99)} / ${ms(f.sendLag.max)}`,
            `${f.generatorCpuPercent.toFixed(1)}%`,
            `${ms(t.max?.latencyP50Ms)} / ${ms(t.max?.latencyP99Ms)}`,
          ];
        }),
      ),
    );
    out.push('');
    out.push('</details>');
    out.push('');
  }
  return out;
}

function renderProto(r: BenchReport): string[] {
  const p = r.proto;
  if (p === undefined) return r.protoError !== undefined ? [`HTTP/2 and TCP: n/a (${oneLine(r.protoError)}).`, ''] : [];
  const s = p.settings;
  const out: string[] = [];
  if (p.h2 !== undefined) {
    out.push(
      `HTTP/2 (h2c, prior knowledge): h2load ${p.h2loadVersion ?? ''}, closed loop, ${s.h2Clients} connections × ${s.h2Streams} ` +
        `concurrent streams, ${s.h2Threads} threads, ${s.h2WarmupS} s warm-up + ${s.h2DurationS} s; upstream a node:http2 ` +
        'server (1 KiB body). Two Weft proxies: client sidecar outbound → server sidecar inbound, service port `http2` ' +
        '(protocol HTTP2), so both hops speak h2c. Latency: h2load\'s per-request time (ms). Ratios are to direct.',
    );
    out.push('');
    const d = p.h2.direct.result;
    const row = (label: string, m: NonNullable<ProtoReport['h2']>['direct'], isDirect: boolean): string[] => {
      const v = m.result;
      const notes: string[] = [];
      if (m.error !== undefined) notes.push(oneLine(m.error));
      if (v !== undefined && v.failed + v.errored + v.timeout + v.non2xx > 0) {
        notes.push(`${v.failed} failed, ${v.errored} errored, ${v.timeout} timeout, ${v.non2xx} non-2xx`);
      }
      return [
        label,
        v !== undefined ? v.rps.toFixed(0) : 'n/a',
        ms(v?.latencyMeanMs),
        ms(v?.latencyMaxMs),
        isDirect ? '—' : ratio(safeRatio(v?.rps, d?.rps)),
        isDirect ? '—' : ratio(safeRatio(v?.latencyMeanMs, d?.latencyMeanMs)),
        isDirect ? '—' : ratio(safeRatio(v?.latencyMaxMs, d?.latencyMaxMs)),
        notes.join('; '),
      ];
    };
    out.push(
      table(
        ['target', 'rps', 'latency mean', 'latency max', 'rps ratio', 'mean ratio', 'max ratio', 'notes'],
        [row('h2 direct (h2c app)', p.h2.direct, true), row('h2 two Weft proxies', p.h2.weft2, false)],
      ),
    );
    out.push('');
  }
  if (p.tcp !== undefined) {
    out.push(
      `TCP throughput: ${s.tcpConnections} connections each send ${(s.tcpBytesPerConnection / 2 ** 20).toFixed(0)} MiB to a Node sink, ` +
        `which acknowledges once it has read them; MB/s = acknowledged bytes / time to the last acknowledgement (limit ${s.tcpTimeLimitS} s). ` +
        'The client (in the benchmark process) and the sink (its own process) are Node, so the direct figure is bounded by Node, not the kernel. ' +
        `Two Weft proxies: the client connects to its own sidecar's outbound tcp_proxy on \`<client-ip>:${TCP_SERVICE_PORT}\`, which connects to the server sidecar's inbound tcp_proxy ` +
        '(service port `tcp`, protocol TCP) in front of the sink. MB = 10^6 bytes.',
    );
    out.push('');
    const d = p.tcp.direct.result;
    const row = (label: string, m: NonNullable<ProtoReport['tcp']>['direct'], isDirect: boolean): string[] => {
      const v = m.result;
      const notes: string[] = [];
      if (m.error !== undefined) notes.push(oneLine(m.error));
      if (v !== undefined && v.timedOut) notes.push(`time limit reached: ${v.completed}/${s.tcpConnections} done, written bytes counted`);
      if (v !== undefined && v.errors > 0) notes.push(`${v.errors} errors${v.firstError !== undefined ? ` (${oneLine(v.firstError, 80)})` : ''}`);
      return [
        label,
        v !== undefined ? v.mbPerS.toFixed(0) : 'n/a',
        v !== undefined ? (v.elapsedMs / 1000).toFixed(2) : 'n/a',
        isDirect ? '—' : ratio(safeRatio(v?.mbPerS, d?.mbPerS)),
        notes.join('; '),
      ];
    };
    out.push(
      table(
        ['target', 'MB/s', 'seconds', 'throughput ratio', 'notes'],
        [row('TCP direct (Node sink)', p.tcp.direct, true), row('TCP two Weft proxies', p.tcp.weft2, false)],
      ),
    );
    out.push('');
  }
  return out;
}

function renderPropagation(r: BenchReport): string[] {
  const p = r.propagation;
  if (p === undefined) return [`Config propagation: n/a (${oneLine(r.propagationError ?? 'not measured')}).`, ''];
  const out: string[] = [];
  out.push(
    `Config propagation, ${p.proxies} sidecars connected (started and synced in ${(p.startupMs / 1000).toFixed(1)} s), ` +
      'VirtualService route change via POST /debug/config/apply until every proxy ACKed RDS and LDS in /debug/syncz ' +
      '(includes the 100 ms debounce; syncz polled every ~10 ms):',
  );
  out.push('');
  out.push(
    table(
      ['change', 'all proxies ACKed (ms)', 'per-proxy p50 (ms)', 'per-proxy p99 (ms)', 'LDS re-sent to'],
      p.changes.map((c) => [
        String(c.generation),
        c.allAckedMs.toFixed(0),
        c.perProxyP50Ms.toFixed(0),
        c.perProxyP99Ms.toFixed(0),
        String(c.ldsResent),
      ]),
    ),
  );
  out.push('');
  if (p.histogram !== undefined && p.histogram.length > 0) {
    out.push('Control plane histogram `weft_config_propagation_seconds` over these changes:');
    out.push('');
    out.push(
      table(
        ['labels', 'count', 'mean (s)', 'p50 ≤ (s)', 'p99 ≤ (s)'],
        p.histogram.map((h) => [h.labels || '(none)', String(h.count), ms(h.meanS), ms(h.p50LeS), ms(h.p99LeS)]),
      ),
    );
  } else {
    out.push(`Control plane histogram: n/a (${p.histogramNote ?? 'not read'}).`);
  }
  out.push('');
  const rss: string[] = [];
  if (p.proxyRssAvgKiB !== undefined) rss.push(`mean sidecar RSS ${(p.proxyRssAvgKiB / 1024).toFixed(1)} MiB`);
  if (p.controlPlaneRssKiB !== undefined) rss.push(`control plane RSS ${(p.controlPlaneRssKiB / 1024).toFixed(1)} MiB`);
  if (rss.length > 0) {
    out.push(`With ${p.proxies} sidecars connected: ${rss.join(', ')}.`);
    out.push('');
  }
  return out;
}

const DOC_HEADER = `# Weft performance

Results of \`npm run bench\` (bench/run.ts), newest last. Each section is one run on one machine:
direct, nginx and Weft targets are measured in the same run, so the ratios compare like with like.

Targets: an nginx upstream (worker_processes 1, fixed 1 KiB body) reached directly; through one
and two nginx reverse proxies (worker_processes 1, upstream keepalive 64, HTTP/1.1); through one
Weft sidecar (client side only, ServiceEntry to the upstream) and through two (client sidecar →
server sidecar → upstream).

Latency comes from an open-loop generator (bench/loadgen.ts): request i is due at start + i/rate
on connection i mod 16, and its latency counts from that due time, so a stall is charged to every
request that queued behind it (no coordinated omission). The generator's own timer lateness on an
idle connection is not charged to the target; it is shown as "send lag". Max throughput is wrk
(closed loop). "Added" latency is the target's percentile minus the direct percentile.

Run: \`npm run bench\` (about 4 minutes; installs nginx and wrk with apt-get when missing, as root).
\`npm run bench -- --quick\` for a short run; \`--only=direct,nginx1,nginx2,weft1,weft2,h2,tcp\`,
\`--skip-propagation\`, \`--no-write\` and \`--addr-prefix=127.N\` (move every loopback address used,
when another mesh already runs on 127.0.x.y) are the other flags.

`;

export function appendToDoc(path: string, markdown: string): void {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) writeFileSync(path, DOC_HEADER);
  appendFileSync(path, `\n${markdown}`);
}
