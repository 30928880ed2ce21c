// Finds the local Workload a sidecar stands beside, from the proxy's node metadata.
import type { LocalWorkload } from '../../api/types.js';
import { resolveHost } from '../../api/hosts.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';

export function localWorkloadOf(snapshot: Snapshot, proxy: ProxyModel): { workload: LocalWorkload; host: string } | undefined {
  if (proxy.metadata.type !== 'sidecar') return undefined;
  const w = snapshot.workloads.get(`${proxy.metadata.NAMESPACE}/${proxy.metadata.WORKLOAD_NAME}`);
  if (!w) return undefined;
  return { workload: w, host: resolveHost(w.spec.service, w.metadata.namespace) };
}
