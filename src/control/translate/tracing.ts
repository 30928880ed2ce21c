// Telemetry API tracing + meshConfig → the HCM `tracing` block (pure). For one proxy:
//   1. the Telemetry levels that apply (mesh < namespace < workload, as for access logs);
//   2. per side (CLIENT: outbound listeners and gateways, SERVER: inbound), merge the `tracing`
//      entries in level order: `providers` (else inherited, else meshConfig.defaultProviders.tracing),
//      `randomSamplingPercentage` (else meshConfig defaultConfig.tracing.sampling, else Istio's 1%),
//      `disableSpanReporting`, `customTags` (a level that sets any replaces them),
//      `useRequestIdForTraceSampling` (default true; false → HCM request_id_extension), `match.mode`;
//   3. the first provider that names a zipkin or opentelemetry extension provider becomes the
//      tracer (Envoy's HCM has one); its collector is the outbound cluster of service:port. With
//      no provider named anywhere, the control plane is the collector (./default-collector.ts).
// As in Istio, tracing is on by default: with no Telemetry tracing and no default provider, both
// sides trace at the mesh sampling into the control plane, unless meshConfig enableTracing is false.
import type { MeshConfigSpec, Telemetry, WorkloadMode } from '../../api/types.js';
import type { CustomTag } from '../../api/telemetry-types.js';
import { HCM_TYPE_URL } from '../../xds/protos.js';
import { OTEL_CONFIG_TYPE_URL, OTEL_TRACER_NAME, ZIPKIN_CONFIG_TYPE_URL, ZIPKIN_TRACER_NAME } from '../../proxy/telemetry/tracing/types.js';
import { UUID_REQUEST_ID_TYPE_URL } from '../../proxy/telemetry/tracing/request-id.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import type { Json } from './clusters.js';
import { outboundClusterName } from './names.js';
import { telemetryLevels } from './telemetry.js';
import { collectorProvider } from './default-collector.js';

type Mode = 'CLIENT' | 'SERVER';

/** Istio's default sampling when nothing sets randomSamplingPercentage. */
export const DEFAULT_SAMPLING_PERCENT = 1;

interface TracingState {
  /** Empty: no provider named anywhere, the control plane collects. */
  providers: string[];
  sampling: number;
  disabled: boolean;
  customTags: Record<string, CustomTag>;
  /** Istio's useRequestIdForTraceSampling (default true, Envoy's default too). */
  useRequestId: boolean;
}

/** The mesh-wide sampling percent: meshConfig defaultConfig.tracing.sampling, else Istio's 1%. */
export function meshSamplingPercent(mesh: Required<MeshConfigSpec>): number {
  return mesh.defaultConfig.tracing?.sampling ?? DEFAULT_SAMPLING_PERCENT;
}

/** The merged tracing settings per side; undefined for a side that does not trace. */
export function resolveTracing(snapshot: Snapshot, proxy: ProxyModel): Partial<Record<Mode, TracingState>> {
  const levels: Telemetry[] = telemetryLevels(snapshot, proxy);
  const entries = levels.flatMap((t) => t.spec.tracing);
  const defaults = snapshot.mesh.defaultProviders.tracing ?? [];
  const sampling = meshSamplingPercent(snapshot.mesh);
  if (entries.length === 0 && defaults.length === 0) {
    // No tracing config: Istio's mesh default (meshConfig enableTracing, default true).
    if (!snapshot.mesh.enableTracing) return {};
    const st: TracingState = { providers: [], sampling, disabled: false, customTags: {}, useRequestId: true };
    return { CLIENT: st, SERVER: st };
  }
  const out: Partial<Record<Mode, TracingState>> = {};
  for (const mode of ['CLIENT', 'SERVER'] as const) {
    const st: TracingState = { providers: defaults, sampling, disabled: false, customTags: {}, useRequestId: true };
    for (const e of entries) {
      const m: WorkloadMode = e.match?.mode ?? 'CLIENT_AND_SERVER';
      if (m !== 'CLIENT_AND_SERVER' && m !== mode) continue;
      if (e.providers.length > 0) st.providers = e.providers.map((p) => p.name);
      if (e.randomSamplingPercentage !== undefined) st.sampling = e.randomSamplingPercentage;
      if (e.disableSpanReporting !== undefined) st.disabled = e.disableSpanReporting;
      if (Object.keys(e.customTags).length > 0) st.customTags = e.customTags;
      if (e.useRequestIdForTraceSampling !== undefined) st.useRequestId = e.useRequestIdForTraceSampling;
    }
    if (!st.disabled) out[mode] = st;
  }
  return out;
}

/** Envoy's HCM tracing.custom_tags (envoy.type.tracing.v3.CustomTag), sorted by tag. */
export function envoyCustomTags(tags: Record<string, CustomTag>): Json[] {
  return Object.keys(tags)
    .sort()
    .map((tag) => {
      const t = tags[tag]!;
      if ('literal' in t) return { tag, literal: { value: t.literal.value } };
      if ('environment' in t) return { tag, environment: { name: t.environment.name, ...(t.environment.defaultValue !== undefined ? { default_value: t.environment.defaultValue } : {}) } };
      return { tag, request_header: { name: t.header.name, ...(t.header.defaultValue !== undefined ? { default_value: t.header.defaultValue } : {}) } };
    });
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

/** The HCM fields tracing sets: `tracing`, and `request_id_extension` only when it differs from Envoy's default. */
function hcmTracing(st: TracingState | undefined, snapshot: Snapshot, proxy: ProxyModel): Json | undefined {
  if (!st) return undefined;
  const provider = st.providers.length === 0 ? collectorProvider(snapshot, proxy) : firstTracer(st.providers, snapshot.mesh);
  if (!provider) return undefined;
  const tags = envoyCustomTags(st.customTags);
  const tracing = { random_sampling: { value: st.sampling }, provider, ...(tags.length > 0 ? { custom_tags: tags } : {}) };
  if (st.useRequestId) return { tracing };
  return { tracing, request_id_extension: { typed_config: { '@type': UUID_REQUEST_ID_TYPE_URL, use_request_id_for_trace_sampling: false } } };
}

function firstTracer(names: string[], mesh: Required<MeshConfigSpec>): Json | undefined {
  for (const name of names) {
    const provider = tracerProvider(name, mesh);
    if (provider) return provider;
  }
  return undefined;
}

/** Listeners with `tracing` on their HTTP connection managers; the same array when nothing traces. */
export function withTracing(snapshot: Snapshot, proxy: ProxyModel, listeners: Json[]): Json[] {
  const st = resolveTracing(snapshot, proxy);
  const client = hcmTracing(st.CLIENT, snapshot, proxy);
  const server = hcmTracing(st.SERVER, snapshot, proxy);
  if (!client && !server) return listeners;
  return listeners.map((l) => {
    const fields = l.traffic_direction === 'INBOUND' ? server : client;
    if (!fields) return l;
    const chains = (l.filter_chains as Json[]).map((c) => ({
      ...c,
      filters: (c.filters as Json[]).map((f) => {
        const tc = f.typed_config as Json;
        return tc['@type'] === HCM_TYPE_URL ? { ...f, typed_config: { ...tc, ...fields } } : f;
      }),
    }));
    return { ...l, filter_chains: chains };
  });
}
