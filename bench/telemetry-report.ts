// The telemetry cost benchmark's results (./telemetry.ts) and their markdown table: per row the
// max throughput (closed loop), latency at a fixed rate (open loop), the two proxies' CPU per
// request in both phases, telemetry's share of proxy CPU against row 1, and the spans the proxies
// exported to the collector. Pure.

export interface PhaseCpu {
  /** Requests that got a 200 in the phase. */
  requests: number;
  /** Both proxies' CPU seconds over the phase. */
  proxyCpuS: number;
  /** The control plane's CPU seconds over the phase (the collector, when tracing is on). */
  collectorCpuS: number;
}

export interface SpanCounts {
  exported: number;
  dropped: number;
}

export interface RowResult {
  label: string;
  /** Closed loop: throughput and CPU at saturation. */
  maxRps: number;
  closed: PhaseCpu;
  closedFailed: number;
  /** Open loop at `rate`: latency (ms, from the intended send time) and CPU. */
  p50: number;
  p90: number;
  p99: number;
  achievedRps: number;
  open: PhaseCpu;
  openFailed: number;
  /** Spans over the whole row (both phases), from weft_tracing_spans_total on both proxies. */
  spans: SpanCounts;
  /** Requests over the whole row (both phases). */
  rowRequests: number;
  /** With several rounds: the lowest and highest proxy CPU µs/req at max over the rounds. */
  closedRange?: { min: number; max: number; rounds: number };
}

/**
 * One row measured in several rounds → the round with the median proxy CPU per request at max
 * (a real measurement, not a blend), carrying the spread over all rounds.
 */
export function medianRound(rounds: readonly RowResult[]): RowResult {
  if (rounds.length === 0) throw new Error('no rounds');
  const cpu = (r: RowResult): number => usPerRequest(r.closed.proxyCpuS, r.closed.requests);
  const sorted = [...rounds].sort((a, b) => cpu(a) - cpu(b));
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  if (rounds.length === 1) return mid;
  return { ...mid, closedRange: { min: cpu(sorted[0]!), max: cpu(sorted[sorted.length - 1]!), rounds: rounds.length } };
}

export interface RunInfo {
  date: string;
  phaseSeconds: number;
  rate: number;
  connections: number;
  loadAverage1m: number;
  /** CPU busy (all cores) from other processes just before the run, percent. */
  busyBeforePercent: number | undefined;
  cores: number;
}

/** µs of CPU per request; NaN without requests. */
export function usPerRequest(cpuS: number, requests: number): number {
  return requests > 0 ? (cpuS * 1e6) / requests : Number.NaN;
}

/** The share of a row's proxy CPU that is not in the baseline: (row − base) / row. */
export function costShare(rowUs: number, baseUs: number): number {
  return rowUs > 0 ? (rowUs - baseUs) / rowUs : Number.NaN;
}

/**
 * Sampled spans per request over the row, as a percentage of requests: each request is one
 * CLIENT span (client sidecar) and one SERVER span (server sidecar), so 100 % sampling reads ~100.
 */
export function sampledPercent(r: RowResult): number {
  return r.rowRequests > 0 ? ((r.spans.exported + r.spans.dropped) / (2 * r.rowRequests)) * 100 : Number.NaN;
}

const f = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const pct = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %` : '–');
const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');

export const TABLE_MARKER = '| Telemetry benchmark';

export function renderTable(rows: readonly RowResult[], info: RunInfo): string {
  const base = rows[0];
  const baseOpen = base ? usPerRequest(base.open.proxyCpuS, base.open.requests) : Number.NaN;
  const baseClosed = base ? usPerRequest(base.closed.proxyCpuS, base.closed.requests) : Number.NaN;
  const lines = [
    `${TABLE_MARKER} (${info.phaseSeconds} s closed loop + ${info.phaseSeconds} s at ${info.rate} req/s per row, ${info.connections} connections) | max req/s | p50 / p90 / p99 ms at ${info.rate} req/s | proxy CPU µs/req at ${info.rate} req/s (vs row 1) | proxy CPU µs/req at max (vs row 1) | spans exported / dropped (sampled) | collector CPU µs/req at ${info.rate} req/s / at max | failed |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  rows.forEach((r, i) => {
    const open = usPerRequest(r.open.proxyCpuS, r.open.requests);
    const closed = usPerRequest(r.closed.proxyCpuS, r.closed.requests);
    const vsOpen = i === 0 ? '' : ` (${pct(costShare(open, baseOpen))})`;
    const vsClosed = (i === 0 ? '' : ` (${pct(costShare(closed, baseClosed))})`) + (r.closedRange ? ` [${f(r.closedRange.min, 1)}–${f(r.closedRange.max, 1)}]` : '');
    lines.push(
      `| ${i + 1}. ${r.label} | ${int(r.maxRps)} | ${f(r.p50, 2)} / ${f(r.p90, 2)} / ${f(r.p99, 2)} | ${f(open, 1)}${vsOpen} | ${f(closed, 1)}${vsClosed} | ${int(r.spans.exported)} / ${int(r.spans.dropped)} (${f(sampledPercent(r), 2)} %) | ${f(usPerRequest(r.open.collectorCpuS, r.open.requests), 1)} / ${f(usPerRequest(r.closed.collectorCpuS, r.closed.requests), 1)} | ${r.closedFailed + r.openFailed} |`,
    );
  });
  const busy = info.busyBeforePercent === undefined ? '?' : info.busyBeforePercent.toFixed(0);
  lines.push(
    '',
    `${info.date}, ${info.cores} cores; before the run: load average ${info.loadAverage1m.toFixed(2)}, CPU busy ${busy} % (other processes).`,
    '"vs row 1" is (row − row 1) / row: the share of that row\'s proxy CPU that its telemetry costs; row 5 against row 1 is the noise.',
    '"sampled" is (exported + dropped spans) / (2 × requests): one client and one server span per sampled request.',
    ...(rows.some((r) => r.closedRange)
      ? [`Rows ran in ${rows[0]?.closedRange?.rounds ?? '?'} interleaved rounds; each line is the round with the median proxy CPU per request at max, [lowest–highest] over the rounds.`]
      : []),
  );
  return `${lines.join('\n')}\n`;
}
