// The trust bundle as an SDS resource: Istio's "ROOTCA" Secret, a validation context with the PEM
// roots inline (inline_bytes, base64 in Envoy's JSON form). Workload certificates are never sent
// over ADS: their keys live in the proxies.
import type { Json } from '../translate/clusters.js';

export const ROOTCA_SECRET = 'ROOTCA';

export function rootCaSecret(bundlePem: string): Json {
  return {
    name: ROOTCA_SECRET,
    validation_context: { trusted_ca: { inline_bytes: Buffer.from(bundlePem, 'utf8').toString('base64') } },
  };
}
