// How `weft get` names kinds (with Istio's aliases) and shows resources: one table layout per
// kind, and YAML manifests that `weft apply -f -` accepts back.

import path from 'node:path';
import { stringify } from 'yaml';
import { ALL_KINDS } from '../api/types.js';
import { toManifest } from '../api/manifest.js';
import type { KindName, Resource } from '../api/types.js';
import { listCell } from './table.js';

const ALIASES: Readonly<Record<KindName, readonly string[]>> = {
  MeshConfig: ['meshconfig', 'meshconfigs', 'mc'],
  RequestAuthentication: ['requestauthentication', 'requestauthentications', 'ra'],
  ServiceEntry: ['serviceentry', 'serviceentries', 'se'],
  WorkloadEntry: ['workloadentry', 'workloadentries', 'we'],
  VirtualService: ['virtualservice', 'virtualservices', 'vs'],
  DestinationRule: ['destinationrule', 'destinationrules', 'dr'],
  Gateway: ['gateway', 'gateways', 'gw'],
  Workload: ['workload', 'workloads', 'wl'],
  Telemetry: ['telemetry', 'telemetries', 'tm'],
};

/** Resolves "vs", "VirtualServices", "virtualservice.networking.istio.io", ... ; "all" means every kind. */
export function resolveKind(raw: string): KindName | 'all' | undefined {
  const s = raw.toLowerCase().replace(/\.(networking\.istio\.io|telemetry\.istio\.io|weft\.dev)$/, '');
  if (s === 'all') return 'all';
  return ALL_KINDS.find((k) => ALIASES[k].includes(s));
}

export function kindAliasHelp(): string {
  return ALL_KINDS.map((k) => `${k} (${ALIASES[k].join(', ')})`).join('\n');
}

/** "file:doc", relative to the working directory when that is shorter. */
function sourceCell(r: Resource): string {
  if (!r.source) return '-';
  const rel = path.isAbsolute(r.source.file) ? path.relative(process.cwd(), r.source.file) : r.source.file;
  const file = rel !== '' && !rel.startsWith('..') ? rel : r.source.file;
  return `${file}:${r.source.document}`;
}

function labelsCell(labels: Record<string, string> | undefined): string {
  return listCell(Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`));
}

/** Kind-specific columns, between NAMESPACE/NAME and SOURCE. */
function kindColumns(r: Resource): { headers: string[]; cells: string[] } {
  switch (r.kind) {
    case 'ServiceEntry':
      return {
        headers: ['HOSTS', 'LOCATION', 'RESOLUTION', 'PORTS'],
        cells: [
          listCell(r.spec.hosts ?? []),
          r.spec.location,
          r.spec.resolution,
          listCell((r.spec.ports ?? []).map((p) => `${p.number}/${p.protocol}`)),
        ],
      };
    case 'WorkloadEntry':
      return {
        headers: ['ADDRESS', 'PORTS', 'LABELS'],
        cells: [
          r.spec.address,
          listCell(Object.entries(r.spec.ports ?? {}).map(([n, p]) => `${n}:${p}`)),
          labelsCell(r.spec.labels),
        ],
      };
    case 'VirtualService':
      return {
        headers: ['GATEWAYS', 'HOSTS', 'ROUTES'],
        cells: [listCell(r.spec.gateways ?? []), listCell(r.spec.hosts ?? []), String((r.spec.http ?? []).length)],
      };
    case 'DestinationRule':
      return {
        headers: ['HOST', 'SUBSETS', 'LB'],
        cells: [
          r.spec.host,
          listCell((r.spec.subsets ?? []).map((s) => s.name)),
          r.spec.trafficPolicy?.loadBalancer?.simple ?? '<default>',
        ],
      };
    case 'Gateway':
      return {
        headers: ['SELECTOR', 'SERVERS'],
        cells: [
          labelsCell(r.spec.selector),
          listCell((r.spec.servers ?? []).map((s) => `${s.port.number}/${s.port.protocol}:${(s.hosts ?? []).join('|')}`)),
        ],
      };
    case 'Workload':
      return {
        headers: ['SERVICE', 'REPLICAS', 'PORTS'],
        cells: [
          r.spec.service,
          String(r.spec.replicas),
          listCell((r.spec.ports ?? []).map((p) => `${p.servicePort}/${p.protocol}`)),
        ],
      };
    default:
      // Kinds without a layout of their own (MeshConfig, policies): name, namespace and source.
      return { headers: [], cells: [] };
  }
}

/**
 * Table for resources of one kind. With `kindPrefix` the NAME column reads "vs/reviews" so that
 * sections of `get all` can be told apart, as kubectl does.
 */
export function resourceTable(
  kind: KindName,
  resources: readonly Resource[],
  kindPrefix = false,
): { headers: string[]; rows: string[][] } {
  const sample = resources[0];
  const headers = ['NAMESPACE', 'NAME', ...(sample ? kindColumns(sample).headers : []), 'SOURCE'];
  const prefix = kindPrefix ? `${ALIASES[kind][0] ?? kind.toLowerCase()}/` : '';
  const rows = resources.map((r) => [
    r.metadata.namespace,
    prefix + r.metadata.name,
    ...kindColumns(r).cells,
    sourceCell(r),
  ]);
  return { headers, rows };
}

export { toManifest };

export function toYamlStream(resources: readonly Resource[]): string {
  return resources.map((r) => stringify(toManifest(r), { lineWidth: 0 })).join('---\n');
}
