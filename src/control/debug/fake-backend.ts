// TEST DOUBLE, used only by tests: an in-memory stand-in for the control plane's state behind
// DebugBackend, so the debug server and the CLI verbs can be tested without a real control plane.
// Its validation is deliberately tiny (kind, metadata.name, VirtualService spec.hosts); it exists
// to produce realistic replies, not to validate Istio config.

import { parseAllDocuments } from 'yaml';
import { ALL_KINDS, resourceKey } from '../../api/types.js';
import type { KindName, Resource } from '../../api/types.js';
import type { ApplyResult, DebugBackend, DeleteResult, ProxySync, ResourceQuery, SyncTypeStatus } from './backend.js';

export interface FakeBackend extends DebugBackend {
  /** Every (method, sourceName) the fake was called with, for assertions. */
  calls: { method: string; source: string }[];
  resources: Map<string, Resource>;
}

function synced(version: string): SyncTypeStatus {
  return { sentVersion: version, sentNonce: `n-${version}`, ackedVersion: version, nack: null, status: 'SYNCED' };
}

/** Two proxies: one fully synced sidecar, one gateway with a NACKed RDS and no EDS yet. */
export function sampleProxies(): ProxySync[] {
  return [
    {
      id: 'sidecar~127.0.1.2~reviews-v1-0.default~default.svc.cluster.local',
      type: 'sidecar',
      name: 'reviews-v1-0',
      workload: 'reviews-v1',
      namespace: 'default',
      adminAddress: '127.0.1.2:15000',
      connectedAt: '2024-01-01T00:00:00.000Z',
      types: { cds: synced('3'), eds: synced('7'), lds: synced('3'), rds: synced('4') },
    },
    {
      id: 'router~127.0.0.1~ingress-0.weft-system~weft-system.svc.cluster.local',
      type: 'router',
      name: 'ingress-0',
      workload: 'ingress',
      namespace: 'weft-system',
      adminAddress: '127.0.0.1:15000',
      connectedAt: '2024-01-01T00:00:01.000Z',
      types: {
        cds: synced('3'),
        eds: { sentVersion: null, sentNonce: null, ackedVersion: null, nack: null, status: 'NOT_SENT' },
        lds: { sentVersion: '4', sentNonce: 'n-4', ackedVersion: '3', nack: null, status: 'STALE' },
        rds: {
          sentVersion: '5',
          sentNonce: 'n-5',
          ackedVersion: '4',
          nack: 'route reviews: weighted clusters sum to 90',
          status: 'NACK',
        },
      },
    },
  ];
}

interface ParsedDoc {
  resource?: Resource;
  errors: string[];
}

function parseDocs(yamlText: string, source: string): ParsedDoc[] {
  const out: ParsedDoc[] = [];
  parseAllDocuments(yamlText).forEach((doc, i) => {
    const where = `${source} (document ${i + 1})`;
    if (doc.errors.length > 0) {
      out.push({ errors: doc.errors.map((e) => `${where}: YAML syntax: ${e.message.split('\n')[0] ?? ''}`) });
      return;
    }
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) return;
    if (typeof v !== 'object' || Array.isArray(v)) {
      out.push({ errors: [`${where}: expected a mapping with apiVersion, kind, metadata and spec`] });
      return;
    }
    const o = v as Record<string, unknown>;
    const errors: string[] = [];
    const kind = ALL_KINDS.find((k) => k === o['kind']);
    if (!kind) errors.push(`${where}: kind: unknown kind ${JSON.stringify(o['kind'])}`);
    const meta = (o['metadata'] ?? {}) as Record<string, unknown>;
    const name = meta['name'];
    if (typeof name !== 'string' || name === '') errors.push(`${where}: metadata.name: required`);
    const spec = (o['spec'] ?? {}) as Record<string, unknown>;
    if (kind === 'VirtualService') {
      const hosts = spec['hosts'];
      if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== 'string')) {
        errors.push(`${where} VirtualService ${String(name)}: spec.hosts: expected a list of host names`);
      }
    }
    if (errors.length > 0 || !kind) {
      out.push({ errors });
      return;
    }
    const namespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default';
    const resource = {
      apiVersion: typeof o['apiVersion'] === 'string' ? o['apiVersion'] : 'networking.istio.io/v1',
      kind: kind as KindName,
      metadata: { name: name as string, namespace, labels: {}, annotations: {} },
      spec,
      source: { file: source, document: i + 1 },
    } as unknown as Resource;
    out.push({ resource, errors: [] });
  });
  return out;
}

export function createFakeBackend(proxies: ProxySync[] = sampleProxies()): FakeBackend {
  const resources = new Map<string, Resource>();
  const calls: { method: string; source: string }[] = [];
  return {
    calls,
    resources,
    syncz: () => proxies,
    listResources(q: ResourceQuery): Resource[] {
      return [...resources.values()].filter(
        (r) =>
          (q.kind === undefined || r.kind === q.kind) &&
          (q.namespace === undefined || r.metadata.namespace === q.namespace) &&
          (q.name === undefined || r.metadata.name === q.name),
      );
    },
    apply(yamlText: string, source: string): ApplyResult {
      calls.push({ method: 'apply', source });
      const docs = parseDocs(yamlText, source);
      const result: ApplyResult = { applied: [], unchanged: [], warnings: [], errors: docs.flatMap((d) => d.errors) };
      if (result.errors.length > 0) return result;
      for (const { resource } of docs) {
        if (!resource) continue;
        const key = resourceKey(resource);
        const old = resources.get(key);
        if (old && JSON.stringify(old.spec) === JSON.stringify(resource.spec)) {
          result.unchanged.push(key);
        } else {
          resources.set(key, resource);
          result.applied.push(key);
        }
        if (resource.metadata.name.startsWith('deprecated-')) {
          result.warnings.push(`${key}: names starting with "deprecated-" are discouraged`);
        }
      }
      return result;
    },
    delete(yamlText: string, source: string): DeleteResult {
      calls.push({ method: 'delete', source });
      const docs = parseDocs(yamlText, source);
      const result: DeleteResult = { deleted: [], notFound: [], errors: docs.flatMap((d) => d.errors) };
      if (result.errors.length > 0) return result;
      for (const { resource } of docs) {
        if (!resource) continue;
        const key = resourceKey(resource);
        if (resources.delete(key)) result.deleted.push(key);
        else result.notFound.push(key);
      }
      return result;
    },
    configDump(proxyId: string): unknown | null {
      const p = proxies.find((x) => x.id === proxyId);
      return p ? { node: p.id, clusters: [{ name: 'outbound|9080||reviews.default.svc.cluster.local' }] } : null;
    },
    metricsText: () =>
      '# HELP weft_fake_pushes_total Pushes sent.\n# TYPE weft_fake_pushes_total counter\nweft_fake_pushes_total 3\n',
  };
}
