// Telemetry API tracing + meshConfig → the HCM `tracing` block (pure). For one proxy:
//   1. the Telemetry levels that apply (mesh < namespace < workload, as for access logs);
//   2. per side (CLIENT: outbound listeners and gateways, SERVER: inbound), merge the `tracing`
//      entries in level order: `providers` (else inherited, else meshConfig.defaultProviders.tracing),
//      `randomSamplingPercentage` (default 1%, Istio's), `disableSpanReporting`, `match.mode`;
//   3. the first provider that names a zipkin or opentelemetry extension provider becomes the
//      tracer (Envoy's HCM has one); its collector is the outbound cluster of service:port.
// With no tracing configured anywhere, listeners come back unchanged (the same array), so
// configurations without tracing emit exactly what they did before.
import type { MeshConfigSpec, Telemetry, WorkloadMode } from '../../api/types.js';
import { HCM_TYPE_URL } from '../../xds/protos.js';
import { OTEL_CONFIG_TYPE_URL, OTEL_TRACER_NAME, ZIPKIN_CONFIG_TYPE_URL, ZIPKIN_TRACER_NAME } from '../../proxy/telemetry/tracing/types.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import type { Json } from './clusters.js';
import { outboundClusterName } from './names.js';
import { telemetryLevels } from './telemetry.js';

type Mode = 'CLIENT' | 'SERVER';

/** Istio's default sampling when nothing sets randomSamplingPercentage. */
export const DEFAULT_SAMPLING_PERCENT = 1;

interface TracingState {
  providers: string[];
  sampling: number;
  disabled: boolean;
}

/** The merged tracing settings per side; undefined for a side that does not trace. */
export function resolveTracing(snapshot: Snapshot, proxy: ProxyModel): Partial<Record<Mode, TracingState>> {
  const levels: Telemetry[] = telemetryLevels(snapshot, proxy);
  const entries = levels.flatMap((t) => t.spec.tracing);
  const defaults = snapshot.mesh.defaultProviders.tracing ?? [];
  if (entries.length === 0 && defaults.length === 0) return {};
  const out: Partial<Record<Mode, TracingState>> = {};
  for (const mode of ['CLIENT', 'SERVER'] as const) {
    const st: TracingState = { providers: defaults, sampling: DEFAULT_SAMPLING_PERCENT, disabled: false };
    for (const e of entries) {
      const m: WorkloadMode = e.match?.mode ?? 'CLIENT_AND_SERVER';
      if (m !== 'CLIENT_AND_SERVER' && m !== mode) continue;
      if (e.providers.length > 0) st.providers = e.providers.map((p) => p.name);
      if (e.randomSamplingPercentage !== undefined) st.sampling = e.randomSamplingPercentage;
      if (e.disableSpanReporting !== undefined) st.disabled = e.disableSpanReporting;
    }
    if (!st.disabled && st.providers.length > 0) out[mode] = st;
  }
  return out;
}

/** The Envoy tracer for a provider name, or undefined when it is not a zipkin/opentelemetry provider. */
export function tracerProvider(name: string, mesh: Required<MeshConfigSpec>): Json | undefined {
  const ext = mesh.extensionProviders.find((p) => p.name === name);
  if (ext?.zipkin) {
    const z = ext.zipkin;
    return {
      name: ZIPKIN_TRACER_NAME,
      typed_config: {
        '@type': ZIPKIN_CONFIG_TYPE_URL,
        collector_cluster: outboundClusterName(z.port, '', z.service),
        collector_endpoint: z.path ?? '/api/v2/spans',
        collector_endpoint_version: 'HTTP_JSON',
        collector_hostname: `${z.service}:${z.port}`,
        trace_id_128bit: true,
        shared_span_context: false,
      },
    };
  }
  if (ext?.opentelemetry) {
    const o = ext.opentelemetry;
    return {
      name: OTEL_TRACER_NAME,
      typed_config: {
        '@type': OTEL_CONFIG_TYPE_URL,
        http_service: {
          http_uri: { uri: `http://${o.service}:${o.port}${o.http.path ?? '/v1/traces'}`, cluster: outboundClusterName(o.port, '', o.service), timeout: '5s' },
        },
      },
    };
  }
  return undefined;
}

function hcmTracing(st: TracingState | undefined, mesh: Required<MeshConfigSpec>): Json | undefined {
  if (!st) return undefined;
  for (const name of st.providers) {
    const provider = tracerProvider(name, mesh);
    if (provider) return { random_sampling: { value: st.sampling }, provider };
  }
  return undefined;
}

/** Listeners with `tracing` on their HTTP connection managers; the same array when nothing traces. */
export function withTracing(snapshot: Snapshot, proxy: ProxyModel, listeners: Json[]): Json[] {
  const st = resolveTracing(snapshot, proxy);
  const client = hcmTracing(st.CLIENT, snapshot.mesh);
  const server = hcmTracing(st.SERVER, snapshot.mesh);
  if (!client && !server) return listeners;
  return listeners.map((l) => {
    const tracing = l.traffic_direction === 'INBOUND' ? server : client;
    if (!tracing) return l;
    const chains = (l.filter_chains as Json[]).map((c) => ({
      ...c,
      filters: (c.filters as Json[]).map((f) => {
        const tc = f.typed_config as Json;
        return tc['@type'] === HCM_TYPE_URL ? { ...f, typed_config: { ...tc, tracing } } : f;
      }),
    }));
    return { ...l, filter_chains: chains };
  });
}
