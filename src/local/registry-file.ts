// The local instance registry: one Istio WorkloadEntry per running workload instance, written to
// STATE/registry/instances.yaml where the control plane's file source picks it up. Generation is
// pure; the two small file helpers at the bottom are the only side effects.

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/** What the registry needs to know about an instance (plan.ts's InstancePlan satisfies it). */
export interface RegistryInstance {
  /** Instance name, e.g. "reviews-v1-0". */
  name: string;
  namespace: string;
  address: string;
  /** Workload labels plus weft.dev/workload. */
  labels: Readonly<Record<string, string>>;
  /** Port name -> service port. */
  ports: ReadonlyArray<{ name: string; servicePort: number }>;
  serviceAccount: string;
  /** "region/zone/subzone" from the Workload, if any. */
  locality?: string | undefined;
}

export interface WorkloadEntryDocument {
  apiVersion: 'networking.istio.io/v1';
  kind: 'WorkloadEntry';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    address: string;
    ports: Record<string, number>;
    labels: Record<string, string>;
    serviceAccount: string;
    locality?: string;
  };
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k] as string;
  return out;
}

/** Istio's marker that an endpoint runs a sidecar with a mesh identity (auto mTLS keys on it). */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

export function workloadEntryFor(instance: RegistryInstance): WorkloadEntryDocument {
  const ports: Record<string, number> = {};
  for (const p of instance.ports) ports[p.name] = p.servicePort;
  // Every local instance runs a sidecar that gets an SVID from the built-in CA.
  const labels = sortedRecord({ ...instance.labels, [TLS_MODE_LABEL]: 'istio' });
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'WorkloadEntry',
    metadata: { name: instance.name, namespace: instance.namespace, labels },
    spec: {
      address: instance.address,
      ports,
      labels,
      serviceAccount: instance.serviceAccount,
      ...(instance.locality ? { locality: instance.locality } : {}),
    },
  };
}

/** The registry file's text: a header comment and one YAML document per instance. */
export function renderRegistry(instances: readonly RegistryInstance[]): string {
  const header = '# Written by `weft up`: the workload instances running locally. Removed on stop.\n';
  // aliasDuplicateObjects: false, so equal label maps are written out rather than as &anchors.
  const docs = instances.map((i) => stringify(workloadEntryFor(i), { aliasDuplicateObjects: false }));
  return header + docs.map((d) => `---\n${d}`).join('');
}

/** Replaces the registry file (creating its directory). The directory is cleared first. */
export function writeRegistryFile(file: string, text: string): void {
  const dir = dirname(file);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text);
}

export function removeRegistryFile(file: string): void {
  rmSync(file, { force: true });
}
