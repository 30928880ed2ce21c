// MeshConfig outboundTrafficPolicy: what a sidecar does with a request for a host the mesh does
// not know. Istio's field, Istio's default (ALLOW_ANY). Translated by control/translate/passthrough.ts.
import type { OutboundTrafficMode } from './types.js';
import type { Field, FieldSet } from './validate-common.js';

const OUTBOUND_TRAFFIC_POLICY: FieldSet = { supported: ['mode'] };
export const OUTBOUND_TRAFFIC_MODES: readonly OutboundTrafficMode[] = ['ALLOW_ANY', 'REGISTRY_ONLY'];

export function readOutboundTrafficPolicy(f: Field): { mode: OutboundTrafficMode } {
  f.object(OUTBOUND_TRAFFIC_POLICY);
  return { mode: f.get('mode').oneOf(OUTBOUND_TRAFFIC_MODES, { default: 'ALLOW_ANY' }) };
}
