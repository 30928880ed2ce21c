// An immutable view of all config at one moment, built from per-kind indexes. A new snapshot
// reuses every index whose input kinds did not change, and nothing is ever copied or mutated after
// it is built: translation may read it from any push without locks.
import type {
  DestinationRule,
  Gateway,
  KindName,
  LocalWorkload,
  RequestAuthentication,
  Resource,
  VirtualService,
} from '../../api/types.js';
import { resolveHost } from '../../api/hosts.js';
import { buildServiceIndex, type ServiceModel } from './services.js';
import { meshSettings, type MeshSettings } from './mesh.js';
import type { CollectorAddress } from './collector.js';

export interface Snapshot {
  /** Monotonic per control plane process. */
  readonly version: number;
  readonly byKind: ReadonlyMap<KindName, readonly Resource[]>;
  readonly services: ReadonlyMap<string, ServiceModel>;
  /** Resolved host → DestinationRule (first by namespace/name wins). */
  readonly destinationRules: ReadonlyMap<string, DestinationRule>;
  /** Sorted by namespace/name: the order in which hosts are claimed. */
  readonly virtualServices: readonly VirtualService[];
  readonly gateways: readonly Gateway[];
  /** "namespace/name" → Workload. */
  readonly workloads: ReadonlyMap<string, LocalWorkload>;
  /** Mesh-wide settings (MeshConfig over Istio's defaults). */
  readonly mesh: MeshSettings;
  /** Sorted by namespace/name. */
  readonly requestAuthentications: readonly RequestAuthentication[];
  /** jwksUri → fetched JWKS text (control/jwks/): input to translation, filled outside it. */
  readonly jwks: ReadonlyMap<string, string>;
  /** The control plane's HTTP address for the default trace collector (./collector.ts); absent: none. */
  readonly collector?: CollectorAddress;
}

function byName<T extends Resource>(a: T, b: T): number {
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function ofKind<K extends KindName>(byKind: ReadonlyMap<KindName, readonly Resource[]>, kind: K): Extract<Resource, { kind: K }>[] {
  return ((byKind.get(kind) ?? []) as Extract<Resource, { kind: K }>[]).slice().sort(byName);
}

const SERVICE_KINDS: readonly KindName[] = ['ServiceEntry', 'WorkloadEntry', 'Workload'];

/**
 * Builds the next snapshot. `changed` names the kinds whose resources differ from `prev`;
 * indexes that depend only on unchanged kinds are taken from `prev` as they are.
 */
export function buildSnapshot(
  version: number,
  byKind: ReadonlyMap<KindName, readonly Resource[]>,
  prev?: Snapshot,
  changed?: ReadonlySet<KindName>,
  jwks: ReadonlyMap<string, string> = prev?.jwks ?? new Map(),
  collector: CollectorAddress | undefined = prev?.collector,
): Snapshot {
  const dirty = (kinds: readonly KindName[]): boolean => !prev || !changed || kinds.some((k) => changed.has(k));

  const services = dirty(SERVICE_KINDS) || !prev ? buildServiceIndex(SERVICE_KINDS.flatMap((k) => byKind.get(k) ?? [])) : prev.services;

  let destinationRules = prev?.destinationRules;
  if (dirty(['DestinationRule']) || !destinationRules) {
    const m = new Map<string, DestinationRule>();
    for (const dr of ofKind(byKind, 'DestinationRule')) {
      const host = resolveHost(dr.spec.host, dr.metadata.namespace);
      if (!m.has(host)) m.set(host, dr);
    }
    destinationRules = m;
  }

  const virtualServices = dirty(['VirtualService']) || !prev ? ofKind(byKind, 'VirtualService') : prev.virtualServices;
  const gateways = dirty(['Gateway']) || !prev ? ofKind(byKind, 'Gateway') : prev.gateways;

  let workloads = prev?.workloads;
  if (dirty(['Workload']) || !workloads) {
    const m = new Map<string, LocalWorkload>();
    for (const w of ofKind(byKind, 'Workload')) m.set(`${w.metadata.namespace}/${w.metadata.name}`, w);
    workloads = m;
  }

  const mesh = dirty(['MeshConfig']) || !prev ? meshSettings(ofKind(byKind, 'MeshConfig')) : prev.mesh;

  const requestAuthentications = dirty(['RequestAuthentication']) || !prev ? ofKind(byKind, 'RequestAuthentication') : prev.requestAuthentications;

  return Object.freeze({ version, byKind, services, destinationRules, virtualServices, gateways, workloads, mesh, requestAuthentications, jwks, ...(collector ? { collector } : {}) });
}

export function emptySnapshot(): Snapshot {
  return buildSnapshot(0, new Map());
}
