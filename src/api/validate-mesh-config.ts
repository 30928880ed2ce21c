// MeshConfig (weft.dev/v1alpha1): mesh-wide settings with Istio's meshConfig field names, so a
// user's `meshConfig:` block from an IstioOperator/Helm values file can be pasted as the spec.
// One per mesh; the first by namespace/name wins (weft analyze warns about extras).
// Features add their fields here (additively) and their defaults in MESH_DEFAULTS.

import { dnsSubdomain } from './names.js';
import type { MeshConfigSpec } from './types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';
import { MESH_TELEMETRY_FIELDS, readMeshTelemetry } from './validate-mesh-telemetry.js';
import { readOutboundTrafficPolicy } from './validate-outbound-traffic-policy.js';
import { MESH_TRACING_FIELDS, readMeshTracing } from './validate-mesh-tracing.js';

const MESH_CONFIG: FieldSet = {
  supported: ['rootNamespace', 'trustDomain', 'pathNormalization', 'outboundTrafficPolicy', ...MESH_TELEMETRY_FIELDS, ...MESH_TRACING_FIELDS],
};
const PATH_NORMALIZATION: FieldSet = { supported: ['normalization'] };

export function validateMeshConfigSpec(f: Field): MeshConfigSpec {
  f.object(MESH_CONFIG, { required: true });
  return compact({
    rootNamespace: f.get('rootNamespace').string({ check: dnsSubdomain }),
    trustDomain: f.get('trustDomain').string({ check: dnsSubdomain }),
    ...readMeshTelemetry(f),
    pathNormalization: f.get('pathNormalization').ifPresent(readPathNormalization),
    outboundTrafficPolicy: f.get('outboundTrafficPolicy').ifPresent(readOutboundTrafficPolicy),
    ...readMeshTracing(f),
  });
}

function readPathNormalization(f: Field): NonNullable<MeshConfigSpec['pathNormalization']> {
  f.object(PATH_NORMALIZATION);
  const normalization = f.get('normalization').oneOf(['NONE', 'BASE', 'MERGE_SLASHES', 'DECODE_AND_MERGE_SLASHES'] as const, {
    default: 'BASE',
    aliases: { DEFAULT: { value: 'BASE' } },
  });
  return { normalization };
}
