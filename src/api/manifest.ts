// A validated resource back in the YAML form users write (Istio field spellings, no `source`):
// what `weft get -o yaml` prints and what the control plane persists for applied resources.
import type { Resource } from './types.js';
import { formatDuration } from './duration.js';
import { routeFeaturesManifest } from './route-features-manifest.js';

export function toManifest(r: Resource): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: r.metadata.name, namespace: r.metadata.namespace };
  if (Object.keys(r.metadata.labels ?? {}).length > 0) metadata['labels'] = r.metadata.labels;
  if (Object.keys(r.metadata.annotations ?? {}).length > 0) metadata['annotations'] = r.metadata.annotations;
  let spec: unknown = r.spec;
  if (r.kind === 'VirtualService') {
    spec = {
      ...r.spec,
      http: (r.spec.http ?? []).map((route) => {
        const { timeoutMs, retries, ...rest } = route;
        const out: Record<string, unknown> = timeoutMs === undefined ? rest : { ...rest, timeout: formatDuration(timeoutMs) };
        if (retries !== undefined) {
          const { perTryTimeoutMs, retryOn, ...r } = retries;
          out['retries'] = {
            ...r,
            ...(perTryTimeoutMs === undefined ? {} : { perTryTimeout: formatDuration(perTryTimeoutMs) }),
            ...(retryOn === undefined ? {} : { retryOn: retryOn.join(',') }),
          };
        }
        routeFeaturesManifest(route, out);
        return out;
      }),
    };
  }
  return { apiVersion: r.apiVersion, kind: r.kind, metadata, spec };
}
