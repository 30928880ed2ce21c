// Mesh-wide settings: the first MeshConfig resource (by namespace/name) over Istio's defaults.
import type { MeshConfig, MeshConfigSpec } from '../../api/types.js';

export type MeshSettings = Readonly<Required<MeshConfigSpec>>;

export const MESH_DEFAULTS: MeshSettings = Object.freeze({
  rootNamespace: 'istio-system',
  trustDomain: 'cluster.local',
  // Telemetry: access logs off, Istio's default formats, no extra providers.
  accessLogFile: '',
  accessLogEncoding: 'TEXT',
  accessLogFormat: '',
  extensionProviders: [],
  defaultProviders: {},
  pathNormalization: Object.freeze({ normalization: 'BASE' as const }),
  // Unknown hosts go out through PassthroughCluster (control/translate/passthrough.ts).
  outboundTrafficPolicy: Object.freeze({ mode: 'ALLOW_ANY' as const }),
  // Tracing on, as in Istio (1% unless Telemetry or defaultConfig.tracing.sampling says otherwise).
  enableTracing: true,
  defaultConfig: Object.freeze({}),
});

export function meshSettings(configs: readonly MeshConfig[]): MeshSettings {
  const first = configs[0];
  if (!first) return MESH_DEFAULTS;
  const defined = Object.fromEntries(Object.entries(first.spec).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...MESH_DEFAULTS, ...defined });
}
