// Istio's canonical service and revision of a workload, from its labels: the
// service.istio.io/canonical-name label, else app.kubernetes.io/name, else app, else the workload
// name; the service.istio.io/canonical-revision label, else app.kubernetes.io/version, else
// version, else "latest".
import type { PeerMetadata } from '../../xds/node-metadata.js';

export const CANONICAL_NAME_LABEL = 'service.istio.io/canonical-name';
export const CANONICAL_REVISION_LABEL = 'service.istio.io/canonical-revision';

export function canonicalOf(labels: Readonly<Record<string, string>>, workload: string): Required<Pick<PeerMetadata, 'canonicalService' | 'canonicalRevision'>> {
  return {
    canonicalService: labels[CANONICAL_NAME_LABEL] || labels['app.kubernetes.io/name'] || labels['app'] || workload,
    canonicalRevision: labels[CANONICAL_REVISION_LABEL] || labels['app.kubernetes.io/version'] || labels['version'] || 'latest',
  };
}
