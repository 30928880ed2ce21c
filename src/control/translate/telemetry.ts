// Telemetry API + meshConfig → listener telemetry config (pure). For one proxy:
//   1. pick the Telemetry resources that apply, Istio's way: mesh (root namespace, no selector)
//      < namespace (the proxy's namespace, no selector) < workload (selector matches its labels);
//      at each level the first by name counts;
//   2. merge access logging per provider (providers listed, else those inherited, else
//      meshConfig.defaultProviders.accessLogging; `disabled`, `filter`, `match.mode` override the
//      parent's) — with no Telemetry access logging at all, meshConfig.accessLogFile is used;
//   3. merge metric overrides per mode (CLIENT: outbound/gateway listeners, SERVER: inbound);
//   4. add `access_log` to every HTTP connection manager and tcp_proxy of that mode, the
//      istio.stats HTTP filter (../../proxy/telemetry/metric-overrides.ts) before the router, and
//      the istio.stats network filter (TCP metrics) before tcp_proxy.
// Nothing configured: listeners come back unchanged (the same objects).
import type { AccessLogging, MeshConfigSpec, Telemetry, WorkloadMode } from '../../api/types.js';
import { parseJsonLogFormat } from '../../api/validate-mesh-telemetry.js';
import { ISTIO_DEFAULT_JSON_FORMAT, ISTIO_DEFAULT_TEXT_FORMAT } from '../../proxy/telemetry/access-log/format.js';
import { HCM_TYPE_URL } from '../../xds/protos.js';
import { TCP_PROXY_TYPE_URL } from '../../xds/network-filters.js';
import {
  CEL_FILTER_NAME,
  CEL_FILTER_TYPE_URL,
  FILE_ACCESS_LOG_NAME,
  FILE_ACCESS_LOG_TYPE_URL,
  STATS_CONFIG_TYPE_URL,
  STATS_FILTER_NAME,
  TYPED_STRUCT_TYPE_URL,
} from '../../xds/telemetry-filters.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import type { Json } from './clusters.js';

type Mode = 'CLIENT' | 'SERVER';
const MODES: readonly Mode[] = ['CLIENT', 'SERVER'];

/** The Istio metric enum → the proxy's metric names. */
const HTTP_METRIC_ORDER: readonly string[] = ['requests_total', 'request_duration_milliseconds', 'request_bytes', 'response_bytes'];
const TCP_METRIC_ORDER: readonly string[] = ['tcp_connections_opened_total', 'tcp_connections_closed_total', 'tcp_sent_bytes_total', 'tcp_received_bytes_total'];
const METRIC_NAMES: Readonly<Record<string, readonly string[]>> = {
  ALL_METRICS: [...HTTP_METRIC_ORDER, ...TCP_METRIC_ORDER],
  REQUEST_COUNT: ['requests_total'],
  REQUEST_DURATION: ['request_duration_milliseconds'],
  REQUEST_SIZE: ['request_bytes'],
  RESPONSE_SIZE: ['response_bytes'],
  TCP_OPENED_CONNECTIONS: ['tcp_connections_opened_total'],
  TCP_CLOSED_CONNECTIONS: ['tcp_connections_closed_total'],
  TCP_SENT_BYTES: ['tcp_sent_bytes_total'],
  TCP_RECEIVED_BYTES: ['tcp_received_bytes_total'],
};

/** The built-in access-log provider: meshConfig's file (or stdout) and format. */
export const ENVOY_PROVIDER = 'envoy';

export interface ProxyTelemetry {
  accessLog: Record<Mode, Json[]>;
  /** The istio.stats HTTP filter per mode. */
  stats: Partial<Record<Mode, Json>>;
  /** The istio.stats network filter (TCP metrics) per mode. */
  tcpStats: Partial<Record<Mode, Json>>;
}

/** The Telemetry resources for a proxy, least specific first (mesh, namespace, workload). */
export function telemetryLevels(snapshot: Snapshot, proxy: ProxyModel): Telemetry[] {
  const all = (snapshot.byKind.get('Telemetry') ?? []) as Telemetry[];
  if (all.length === 0) return [];
  const sorted = [...all].sort((a, b) => cmpKey(a).localeCompare(cmpKey(b)));
  const root = snapshot.mesh.rootNamespace;
  const ns = proxy.metadata.NAMESPACE;
  const labels = proxy.metadata.LABELS;
  const mesh = sorted.find((t) => t.metadata.namespace === root && !t.spec.selector);
  const namespace = ns === root ? undefined : sorted.find((t) => t.metadata.namespace === ns && !t.spec.selector);
  const workload = sorted.find(
    (t) => t.metadata.namespace === ns && t.spec.selector && Object.entries(t.spec.selector.matchLabels).every(([k, v]) => labels[k] === v),
  );
  return [mesh, namespace, workload].filter((t): t is Telemetry => t !== undefined);
}

function cmpKey(t: Telemetry): string {
  return `${t.metadata.namespace}/${t.metadata.name}`;
}

interface ProviderState {
  disabled: boolean;
  filter: string | undefined;
  mode: WorkloadMode;
}

export function resolveTelemetry(snapshot: Snapshot, proxy: ProxyModel): ProxyTelemetry {
  const levels = telemetryLevels(snapshot, proxy);
  return { accessLog: accessLogs(levels, snapshot.mesh), stats: statsConfigs(levels, HTTP_METRIC_ORDER), tcpStats: statsConfigs(levels, TCP_METRIC_ORDER) };
}

// ---------------------------------------------------------------- access logs

function accessLogs(levels: readonly Telemetry[], mesh: Required<MeshConfigSpec>): Record<Mode, Json[]> {
  const out: Record<Mode, Json[]> = { CLIENT: [], SERVER: [] };
  const defaults = mesh.defaultProviders.accessLogging ?? [];
  const entries: AccessLogging[] = levels.flatMap((t) => t.spec.accessLogging);
  let state = new Map<string, ProviderState>();
  if (entries.length === 0) {
    if (defaults.length > 0) for (const p of defaults) state.set(p, { disabled: false, filter: undefined, mode: 'CLIENT_AND_SERVER' });
    else if (mesh.accessLogFile !== '') {
      const logger = fileLogger(mesh.accessLogFile, meshFormat(mesh), undefined);
      return { CLIENT: [logger], SERVER: [logger] };
    }
  }
  for (const e of entries) {
    const names = e.providers.length > 0 ? e.providers.map((p) => p.name) : state.size > 0 ? [...state.keys()] : defaults;
    const next = new Map(state);
    for (const name of names) {
      const prev = state.get(name);
      next.set(name, {
        disabled: e.disabled ?? prev?.disabled ?? false,
        filter: e.filter?.expression ?? prev?.filter,
        mode: e.match?.mode ?? prev?.mode ?? 'CLIENT_AND_SERVER',
      });
    }
    state = next;
  }
  for (const [name, st] of [...state.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (st.disabled) continue;
    const logger = providerLogger(name, mesh, st.filter);
    if (!logger) continue;
    for (const m of MODES) if (st.mode === 'CLIENT_AND_SERVER' || st.mode === m) out[m].push(logger);
  }
  return out;
}

type LogFormat = { text: string } | { json: Record<string, unknown> };

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** meshConfig's accessLogEncoding/accessLogFormat, or Istio's defaults. */
function meshFormat(mesh: Required<MeshConfigSpec>): LogFormat {
  if (mesh.accessLogEncoding === 'JSON') {
    const parsed = mesh.accessLogFormat ? parseJsonLogFormat(mesh.accessLogFormat) : ISTIO_DEFAULT_JSON_FORMAT;
    return { json: typeof parsed === 'string' ? { ...ISTIO_DEFAULT_JSON_FORMAT } : { ...parsed } };
  }
  return { text: withNewline(mesh.accessLogFormat || ISTIO_DEFAULT_TEXT_FORMAT) };
}

/** A provider by name: "envoy" (built in) or an envoyFileAccessLog extension provider; others log nothing. */
function providerLogger(name: string, mesh: Required<MeshConfigSpec>, filter: string | undefined): Json | undefined {
  const ext = mesh.extensionProviders.find((p) => p.name === name);
  if (ext?.envoyFileAccessLog) {
    const f = ext.envoyFileAccessLog;
    const fmt: LogFormat = f.logFormat?.labels
      ? { json: { ...f.logFormat.labels } }
      : f.logFormat?.text
        ? { text: withNewline(f.logFormat.text) }
        : { text: ISTIO_DEFAULT_TEXT_FORMAT };
    return fileLogger(f.path, fmt, filter);
  }
  if (!ext && name === ENVOY_PROVIDER) return fileLogger(mesh.accessLogFile || '/dev/stdout', meshFormat(mesh), filter);
  return undefined;
}

function fileLogger(path: string, fmt: LogFormat, filter: string | undefined): Json {
  const log_format = 'text' in fmt ? { text_format_source: { inline_string: fmt.text } } : { json_format: fmt.json };
  const logger: Json = { name: FILE_ACCESS_LOG_NAME, typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path, log_format } };
  if (filter !== undefined) {
    logger.filter = { extension_filter: { name: CEL_FILTER_NAME, typed_config: { '@type': CEL_FILTER_TYPE_URL, expression: filter } } };
  }
  return logger;
}

// ---------------------------------------------------------------- metric overrides

interface MetricState {
  drop: boolean;
  remove: Set<string>;
  upsert: Map<string, string>;
}

/** The stats filter per mode for the metrics in `order` (HTTP or TCP); absent: no override. */
function statsConfigs(levels: readonly Telemetry[], order: readonly string[]): Partial<Record<Mode, Json>> {
  const per: Record<Mode, Map<string, MetricState>> = { CLIENT: new Map(), SERVER: new Map() };
  for (const t of levels) {
    for (const m of t.spec.metrics) {
      if (m.providers.length > 0 && !m.providers.some((p) => p.name === 'prometheus')) continue;
      for (const o of m.overrides) {
        const names = o.match?.customMetric !== undefined ? [o.match.customMetric] : (METRIC_NAMES[o.match?.metric ?? 'ALL_METRICS'] ?? []);
        const mode = o.match?.mode ?? 'CLIENT_AND_SERVER';
        for (const md of MODES) {
          if (mode !== 'CLIENT_AND_SERVER' && mode !== md) continue;
          for (const name of names.filter((n) => order.includes(n))) {
            const st = per[md].get(name) ?? { drop: false, remove: new Set<string>(), upsert: new Map<string, string>() };
            if (o.disabled !== undefined) st.drop = o.disabled;
            for (const [tag, op] of Object.entries(o.tagOverrides)) {
              if (op.operation === 'REMOVE') {
                st.remove.add(tag);
                st.upsert.delete(tag);
              } else {
                st.upsert.set(tag, op.value ?? '');
                st.remove.delete(tag);
              }
            }
            per[md].set(name, st);
          }
        }
      }
    }
  }
  const out: Partial<Record<Mode, Json>> = {};
  for (const md of MODES) {
    const metrics: Json[] = [];
    for (const name of order) {
      const st = per[md].get(name);
      if (!st || (!st.drop && st.remove.size === 0 && st.upsert.size === 0)) continue;
      const m: Json = { name };
      if (st.drop) m.drop = true;
      if (st.remove.size > 0) m.tags_to_remove = [...st.remove].sort();
      if (st.upsert.size > 0) m.dimensions = Object.fromEntries([...st.upsert.entries()].sort(([a], [b]) => a.localeCompare(b)));
      metrics.push(m);
    }
    if (metrics.length > 0) {
      out[md] = { name: STATS_FILTER_NAME, typed_config: { '@type': TYPED_STRUCT_TYPE_URL, type_url: STATS_CONFIG_TYPE_URL, value: { metrics } } };
    }
  }
  return out;
}

// ---------------------------------------------------------------- listeners

/** Listeners with the proxy's telemetry added; the same array when there is none. */
export function withTelemetry(snapshot: Snapshot, proxy: ProxyModel, listeners: Json[]): Json[] {
  if (!snapshot.byKind.get('Telemetry')?.length && snapshot.mesh.accessLogFile === '' && !(snapshot.mesh.defaultProviders.accessLogging?.length)) {
    return listeners;
  }
  const t = resolveTelemetry(snapshot, proxy);
  const none = (m: Mode): boolean => t.accessLog[m].length === 0 && !t.stats[m] && !t.tcpStats[m];
  if (none('CLIENT') && none('SERVER')) return listeners;
  return listeners.map((l) => {
    const mode: Mode = l.traffic_direction === 'INBOUND' ? 'SERVER' : 'CLIENT';
    if (none(mode)) return l;
    const logs = t.accessLog[mode];
    const stats = t.stats[mode];
    const tcpStats = t.tcpStats[mode];
    const chains = (l.filter_chains as Json[]).map((c) => ({ ...c, filters: (c.filters as Json[]).flatMap((f) => withFilterTelemetry(f, logs, stats, tcpStats)) }));
    return { ...l, filter_chains: chains };
  });
}

/** The filter with its telemetry; a tcp_proxy comes with the istio.stats network filter in front when TCP metrics are overridden. */
function withFilterTelemetry(f: Json, logs: Json[], stats: Json | undefined, tcpStats: Json | undefined): Json[] {
  const tc = f.typed_config as Json;
  const type = tc['@type'];
  if (type === TCP_PROXY_TYPE_URL) {
    const out = logs.length > 0 ? { ...f, typed_config: { ...tc, access_log: logs } } : f;
    return tcpStats ? [tcpStats, out] : [out];
  }
  if (type !== HCM_TYPE_URL) return [f];
  const out: Json = { ...tc };
  if (logs.length > 0) out.access_log = logs;
  if (stats) {
    const filters = tc.http_filters as Json[];
    const router = filters.findIndex((h) => h.name === 'envoy.filters.http.router');
    const at = router < 0 ? filters.length : router;
    out.http_filters = [...filters.slice(0, at), stats, ...filters.slice(at)];
  }
  return [{ ...f, typed_config: out }];
}
