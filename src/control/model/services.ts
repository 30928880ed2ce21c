// The service index: every service the mesh knows (from ServiceEntry and from local Workloads),
// with its ports and endpoints. Built once per snapshot from the resources; read-only after.
import type {
  LocalWorkload,
  PortProtocol,
  Resource,
  ServiceEntry,
  ServicePort,
  WorkloadEntry,
  WorkloadEntrySpec,
} from '../../api/types.js';
import { resolveHost } from '../../api/hosts.js';

export const WORKLOAD_LABEL = 'weft.dev/workload';

export interface ServiceEndpoint {
  address: string;
  /** Port name → port number on this endpoint. */
  ports: Record<string, number>;
  labels: Record<string, string>;
  serviceAccount: string;
  /** Workload name for telemetry ("unknown" when not known). */
  workload: string;
  namespace: string;
  weight: number;
  /** "region/zone/subzone" from the WorkloadEntry or ServiceEntry endpoint; absent: none. */
  locality?: string;
}

export interface ServiceModel {
  host: string;
  /** Short name and namespace: for cluster-local hosts the first two labels, else host + config ns. */
  name: string;
  namespace: string;
  ports: ServicePort[];
  location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  endpoints: ServiceEndpoint[];
  /** Which resource defined it, e.g. "ServiceEntry/default/httpbin" or "Workload/default/order". */
  origin: string;
}

export function isHttpProtocol(p: PortProtocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC';
}

/** Every selector label is present with the same value (an empty selector matches all). */
export function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

function serviceNameOf(host: string, namespace: string): { name: string; namespace: string } {
  const parts = host.split('.');
  if (host.endsWith('.svc.cluster.local') && parts.length === 5) {
    return { name: parts[0] ?? host, namespace: parts[1] ?? namespace };
  }
  return { name: host, namespace };
}

function endpointFromSpec(spec: WorkloadEntrySpec, namespace: string, name: string | undefined): ServiceEndpoint {
  return {
    address: spec.address,
    ports: spec.ports,
    labels: spec.labels,
    serviceAccount: spec.serviceAccount ?? 'default',
    workload: spec.labels[WORKLOAD_LABEL] ?? name ?? 'unknown',
    namespace,
    // Envoy requires weights >= 1; Istio reads an unset or zero weight as 1.
    weight: spec.weight && spec.weight > 0 ? spec.weight : 1,
    ...(spec.locality ? { locality: spec.locality } : {}),
  };
}

function fromServiceEntry(se: ServiceEntry, entries: WorkloadEntry[]): ServiceModel[] {
  const ns = se.metadata.namespace;
  let endpoints: ServiceEndpoint[];
  if (se.spec.workloadSelector) {
    const sel = se.spec.workloadSelector.labels;
    endpoints = entries
      .filter((we) => we.metadata.namespace === ns && labelsMatch(sel, we.spec.labels))
      .map((we) => endpointFromSpec(we.spec, ns, we.metadata.name));
  } else {
    endpoints = se.spec.endpoints.map((e) => endpointFromSpec(e, ns, undefined));
  }
  return se.spec.hosts.map((rawHost) => {
    const host = resolveHost(rawHost, ns);
    let eps = endpoints;
    if (eps.length === 0 && (se.spec.resolution === 'DNS' || se.spec.resolution === 'DNS_ROUND_ROBIN')) {
      // A DNS service without endpoints resolves its own host name.
      eps = [{ address: host, ports: {}, labels: {}, serviceAccount: '', workload: 'unknown', namespace: ns, weight: 1 }];
    }
    return {
      host,
      ...serviceNameOf(host, ns),
      ports: se.spec.ports,
      location: se.spec.location,
      resolution: se.spec.resolution,
      endpoints: eps,
      origin: `ServiceEntry/${ns}/${se.metadata.name}`,
    };
  });
}

function fromWorkloads(workloads: LocalWorkload[], entries: WorkloadEntry[]): ServiceModel[] {
  const byService = new Map<string, LocalWorkload[]>();
  for (const w of workloads) {
    const host = resolveHost(w.spec.service, w.metadata.namespace);
    const list = byService.get(host) ?? [];
    list.push(w);
    byService.set(host, list);
  }
  const out: ServiceModel[] = [];
  for (const [host, list] of byService) {
    const first = list[0];
    if (!first) continue;
    const ns = first.metadata.namespace;
    const ports = new Map<number, ServicePort>();
    for (const w of list) {
      for (const p of w.spec.ports) {
        if (!ports.has(p.servicePort)) {
          ports.set(p.servicePort, { number: p.servicePort, protocol: p.protocol, name: p.name, targetPort: p.containerPort });
        }
      }
    }
    const names = new Set(list.map((w) => w.metadata.name));
    const endpoints = entries
      .filter((we) => we.metadata.namespace === ns && names.has(we.spec.labels[WORKLOAD_LABEL] ?? ''))
      .map((we) => endpointFromSpec(we.spec, ns, we.metadata.name));
    out.push({
      host,
      ...serviceNameOf(host, ns),
      ports: [...ports.values()].sort((a, b) => a.number - b.number),
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      endpoints,
      origin: `Workload/${ns}/${first.metadata.name}`,
    });
  }
  return out;
}

/** Builds host → service. When two sources define one host, the first by origin name wins. */
export function buildServiceIndex(resources: readonly Resource[]): ReadonlyMap<string, ServiceModel> {
  // Sorted first, so the same config read in any order gives the same services and endpoints.
  const sorted = [...resources].sort((a, b) => cmp(`${a.metadata.namespace}/${a.metadata.name}`, `${b.metadata.namespace}/${b.metadata.name}`));
  const entries = sorted.filter((r): r is WorkloadEntry => r.kind === 'WorkloadEntry');
  const serviceEntries = sorted.filter((r): r is ServiceEntry => r.kind === 'ServiceEntry');
  const workloads = sorted.filter((r): r is LocalWorkload => r.kind === 'Workload');
  const all = [...fromWorkloads(workloads, entries), ...serviceEntries.flatMap((se) => fromServiceEntry(se, entries))];
  all.sort((a, b) => cmp(a.host, b.host) || cmp(a.origin, b.origin));
  const index = new Map<string, ServiceModel>();
  for (const s of all) if (!index.has(s.host)) index.set(s.host, s);
  return index;
}

/** The port number an endpoint serves for a service port: by name, else targetPort, else the port. */
export function endpointPort(ep: ServiceEndpoint, port: ServicePort): number {
  return ep.ports[port.name] ?? port.targetPort ?? port.number;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
