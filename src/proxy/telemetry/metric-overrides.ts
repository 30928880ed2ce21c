// Istio Telemetry API metric overrides, as the proxy applies them to Istio's HTTP and TCP metrics:
// drop a metric, remove a tag, or upsert a tag whose value is a CEL expression.
//
// xDS form (Weft's own, documented in docs/observability.md): an HTTP filter in the connection
// manager, before the router, shaped like Istio's stats plugin config —
//   { name: "istio.stats", typed_config: { "@type": "type.googleapis.com/xds.type.v3.TypedStruct",
//     type_url: "type.weft.dev/weft.telemetry.v1.Stats",
//     value: { metrics: [{ name: "requests_total", drop?, tags_to_remove?, dimensions? }] } } }
// The listener's direction says which reporter it configures (OUTBOUND: source, INBOUND: destination).
// TCP metrics: the same config as a network filter in front of tcp_proxy, naming TCP_METRICS.
//
// Everything is compiled once per config into a FamilyLayout per metric: the family's label
// names and, per reporter, where each label's value comes from (a standard label's index, a CEL
// program, or nothing). Prometheus treats an empty label value as an absent label, so a tag
// removed for one reporter only renders as "" in series of that reporter.
import { celProblem, celString, compileCel, type CelAttributes, type CelProgram } from '../../cel/cel.js';
import { arr, bool, ConfigRejection, obj, only, str } from '../config/check.js';

import { STATS_CONFIG_TYPE_URL } from '../../xds/telemetry-filters.js';
export { STATS_FILTER_NAME, TYPED_STRUCT_TYPE_URL } from '../../xds/telemetry-filters.js';

/** Istio's HTTP metric names in the stats config (the family name is "istio_" + this). */
export const HTTP_METRICS = ['requests_total', 'request_duration_milliseconds', 'request_bytes', 'response_bytes'] as const;
export type HttpMetricName = (typeof HTTP_METRICS)[number];
/** Istio's TCP metric names in the stats config of a tcp_proxy chain. */
export const TCP_METRICS = ['tcp_connections_opened_total', 'tcp_connections_closed_total', 'tcp_sent_bytes_total', 'tcp_received_bytes_total'] as const;
export type TcpMetricName = (typeof TCP_METRICS)[number];
export type MetricName = HttpMetricName | TcpMetricName;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface MetricOverride {
  name: MetricName;
  drop: boolean;
  tagsToRemove: string[];
  /** Tag → CEL value expression (source text kept for comparing configs). */
  dimensions: { tag: string; expr: string; prog: CelProgram }[];
}

/** One listener's stats filter config. */
export interface StatsConfig {
  metrics: MetricOverride[];
}

/** Decodes the istio.stats filter's typed_config (a TypedStruct): the HTTP filter names HTTP_METRICS, the network one TCP_METRICS. */
export function decodeStatsFilter(tc: Record<string, unknown>, p: string, names: readonly MetricName[] = HTTP_METRICS): StatsConfig {
  only(tc, p, ['@type', 'type_url', 'value']);
  if (tc.type_url !== STATS_CONFIG_TYPE_URL) throw new ConfigRejection(`${p}.type_url`, `expected ${STATS_CONFIG_TYPE_URL}, got ${String(tc.type_url)}`);
  const v = obj(tc.value ?? {}, `${p}.value`);
  only(v, `${p}.value`, ['metrics']);
  const metrics = arr(v.metrics, `${p}.value.metrics`).map((m, i): MetricOverride => {
    const mp = `${p}.value.metrics[${i}]`;
    const mo = obj(m, mp);
    only(mo, mp, ['name', 'drop', 'tags_to_remove', 'dimensions']);
    const name = str(mo.name, `${mp}.name`);
    if (!(names as readonly string[]).includes(name)) throw new ConfigRejection(`${mp}.name`, `expected one of ${names.join(', ')}, got ${name}`);
    const tagsToRemove = arr(mo.tags_to_remove, `${mp}.tags_to_remove`).map((t, j) => labelName(t, `${mp}.tags_to_remove[${j}]`));
    const dims = mo.dimensions === undefined ? {} : obj(mo.dimensions, `${mp}.dimensions`);
    const dimensions = Object.entries(dims).map(([tag, expr]) => {
      const dp = `${mp}.dimensions.${tag}`;
      labelName(tag, dp);
      const src = str(expr, dp);
      const problem = celProblem(src);
      if (problem !== undefined) throw new ConfigRejection(dp, problem);
      return { tag, expr: src, prog: compileCel(src) };
    });
    return { name: name as MetricName, drop: bool(mo.drop, `${mp}.drop`, false), tagsToRemove, dimensions };
  });
  return { metrics };
}

function labelName(v: unknown, p: string): string {
  const s = str(v, p);
  if (!LABEL_NAME.test(s)) throw new ConfigRejection(p, `expected a Prometheus label name, got ${JSON.stringify(s)}`);
  return s;
}

/** The stats config per reporter; undefined: Istio's standard metrics unchanged. */
export interface ReporterOverrides {
  source?: StatsConfig;
  destination?: StatsConfig;
  /**
   * Reporters this proxy can record for (it has HTTP listeners of that direction). A family's
   * label names are those of the reporters in use: a proxy without inbound listeners never
   * reports as destination, so its removals on the source side remove the label outright.
   * Absent: both.
   */
  used?: { source: boolean; destination: boolean };
}

/** Where one family label's value comes from, for one reporter. */
type Source = { kind: 'std'; index: number } | { kind: 'cel'; prog: CelProgram } | { kind: 'empty' };

export interface ReporterPlan {
  disabled: boolean;
  /** Values depend on the request (CEL): no caching by label ids. */
  dynamic: boolean;
  sources: Source[];
}

export interface FamilyLayout {
  labelNames: string[];
  /** [source, destination] */
  plans: [ReporterPlan, ReporterPlan];
}

/** Builds the layout of one metric family from the standard label names and both reporters' overrides. */
export function familyLayout(metric: MetricName, std: readonly string[], ov: ReporterOverrides): FamilyLayout {
  const perReporter = [ov.source, ov.destination].map((c) => {
    const list = (c?.metrics ?? []).filter((m) => m.name === metric);
    const removed = new Set<string>();
    const upserts = new Map<string, CelProgram>();
    let drop = false;
    for (const m of list) {
      drop = m.drop;
      for (const t of m.tagsToRemove) {
        removed.add(t);
        upserts.delete(t);
      }
      for (const d of m.dimensions) {
        upserts.set(d.tag, d.prog);
        removed.delete(d.tag);
      }
    }
    return { drop, removed, upserts };
  });
  const used = ov.used ?? { source: true, destination: true };
  const inUse = perReporter.filter((_, i) => (i === 0 ? used.source : used.destination));
  const labelNames = std.filter((n) => inUse.length === 0 || !inUse.every((r) => r.removed.has(n)));
  for (const r of inUse) for (const t of r.upserts.keys()) if (!labelNames.includes(t)) labelNames.push(t);
  const plans = perReporter.map((r): ReporterPlan => {
    const sources = labelNames.map((n): Source => {
      const prog = r.upserts.get(n);
      if (prog) return { kind: 'cel', prog };
      const index = std.indexOf(n);
      if (index < 0 || r.removed.has(n)) return { kind: 'empty' };
      return { kind: 'std', index };
    });
    return { disabled: r.drop, dynamic: r.upserts.size > 0, sources };
  });
  return { labelNames, plans: [plans[0]!, plans[1]!] };
}

/** The family's label values from the standard ones (and the request, for CEL values). */
export function applyPlan(plan: ReporterPlan, std: readonly string[], attrs: CelAttributes | undefined): string[] {
  return plan.sources.map((s) => {
    if (s.kind === 'std') return std[s.index] ?? '';
    if (s.kind === 'empty') return '';
    return attrs ? celString(s.prog, attrs, 'unknown') : 'unknown';
  });
}

/** True when the layout is Istio's standard one (no change for either reporter). */
export function isStandard(l: FamilyLayout, std: readonly string[]): boolean {
  return (
    l.labelNames.length === std.length &&
    l.plans.every((p) => !p.disabled && !p.dynamic && p.sources.every((s, i) => s.kind === 'std' && s.index === i))
  );
}

/** A comparable fingerprint of the overrides, to tell whether a new config changes anything. */
export function overridesKey(ov: ReporterOverrides): string {
  const f = (c: StatsConfig | undefined): unknown =>
    c?.metrics.map((m) => [m.name, m.drop, m.tagsToRemove, m.dimensions.map((d) => [d.tag, d.expr])]) ?? null;
  return JSON.stringify([f(ov.source), f(ov.destination), ov.used ?? null]);
}

type OverrideListener = { direction: 'INBOUND' | 'OUTBOUND'; hcm?: { stats?: StatsConfig }; tcpStats?: StatsConfig; tcpProxy?: unknown; sniChains?: unknown };

/**
 * Each reporter's stats config from the listeners that `carries` (HTTP or TCP ones): OUTBOUND ones
 * configure the source reporter, INBOUND ones the destination; the first config per direction counts.
 */
function overridesOf(listeners: Iterable<OverrideListener>, carries: (l: OverrideListener) => boolean, statsOf: (l: OverrideListener) => StatsConfig | undefined): ReporterOverrides {
  const out: ReporterOverrides = {};
  const used = { source: false, destination: false };
  for (const l of listeners) {
    if (!carries(l)) continue;
    used[l.direction === 'INBOUND' ? 'destination' : 'source'] = true;
    const st = statsOf(l);
    if (!st) continue;
    if (l.direction === 'INBOUND') out.destination ??= st;
    else out.source ??= st;
  }
  if (out.source || out.destination) out.used = used;
  return out;
}

const isTcp = (l: OverrideListener): boolean => l.tcpProxy !== undefined || l.sniChains !== undefined;

/** The HTTP metrics' overrides per reporter, from the HTTP connection managers' istio.stats filters. */
export function reporterOverridesOf(listeners: Iterable<OverrideListener>): ReporterOverrides {
  return overridesOf(listeners, (l) => !isTcp(l), (l) => l.hcm?.stats);
}

/** The TCP metrics' overrides per reporter, from tcp_proxy listeners (`tcpStats`). */
export function tcpReporterOverridesOf(listeners: Iterable<OverrideListener>): ReporterOverrides {
  return overridesOf(listeners, isTcp, (l) => l.tcpStats);
}
