// The control plane's answers to the debug API: status, config listing, apply and delete.
import type { ApplyResult, DebugBackend, DeleteResult, ProxySync, ResourceQuery } from './debug/backend.js';
import type { Resource } from '../api/types.js';
import { resourceKey } from '../api/types.js';
import { formatConfigError } from '../api/errors.js';
import { parseYamlText } from '../api/parse.js';
import { sameResource, type ConfigStore } from './store/config-store.js';
import type { AppliedStore } from './sources/applied-store.js';
import type { AdsServer } from './xds/ads-server.js';
import type { ControlMetrics } from './metrics.js';
import { proxySync } from './xds/status.js';
import { prometheusTargets, type TargetGroup } from './debug/prometheus-sd.js';

export interface BackendDeps {
  store: ConfigStore;
  applied: AppliedStore;
  ads: AdsServer;
  metrics: ControlMetrics;
  /** Called after the applied layer changed. */
  onApplied: () => void;
  /** Where the debug HTTP server listens (the control plane's own scrape target). */
  httpAddress?: () => { host: string; port: number };
}


export class ControlPlaneBackend implements DebugBackend {
  constructor(private readonly deps: BackendDeps) {}

  syncz(): ProxySync[] {
    return [...this.deps.ads.connections.values()].map(proxySync).sort((a, b) => a.id.localeCompare(b.id));
  }

  listResources(q: ResourceQuery): Resource[] {
    return this.deps.store
      .all()
      .filter((r) => (!q.kind || r.kind === q.kind) && (!q.namespace || r.metadata.namespace === q.namespace) && (!q.name || r.metadata.name === q.name))
      .sort((a, b) => resourceKey(a).localeCompare(resourceKey(b)));
  }

  apply(yamlText: string, sourceName: string): ApplyResult {
    const parsed = parseYamlText(yamlText, sourceName);
    const errors = parsed.errors.filter((e) => e.severity === 'error').map(formatConfigError);
    const warnings = parsed.errors.filter((e) => e.severity === 'warning').map(formatConfigError);
    if (errors.length > 0) {
      this.deps.metrics.configErrors.inc(errors.length);
      return { applied: [], unchanged: [], warnings, errors };
    }
    const applied: string[] = [];
    const unchanged: string[] = [];
    for (const r of parsed.resources) {
      const key = resourceKey(r);
      const current = this.deps.store.get(key);
      if (current && sameResource(current, r)) {
        unchanged.push(key);
        continue;
      }
      this.deps.applied.put(r);
      applied.push(key);
    }
    if (applied.length > 0) this.deps.onApplied();
    return { applied, unchanged, warnings, errors: [] };
  }

  delete(yamlText: string, sourceName: string): DeleteResult {
    const parsed = parseYamlText(yamlText, sourceName);
    const errors = parsed.errors.filter((e) => e.severity === 'error').map(formatConfigError);
    if (errors.length > 0) return { deleted: [], notFound: [], errors };
    const deleted: string[] = [];
    const notFound: string[] = [];
    for (const r of parsed.resources) {
      const key = resourceKey(r);
      if (this.deps.applied.remove(key)) {
        deleted.push(key);
      } else if (this.deps.store.get(key)) {
        const src = this.deps.store.get(key)?.source?.file ?? 'a watched file';
        errors.push(`${key}: defined in ${src}; remove it from that file to delete it`);
      } else {
        notFound.push(key);
      }
    }
    if (deleted.length > 0) this.deps.onApplied();
    return { deleted, notFound, errors };
  }

  configDump(proxyId: string): unknown | null {
    return this.deps.ads.configDump(proxyId);
  }

  metricsText(): string {
    return this.deps.metrics.registry.render();
  }

  prometheusSd(): TargetGroup[] {
    const proxies = [...this.deps.ads.connections.values()].map((c) => c.proxy.metadata);
    return prometheusTargets(proxies, this.deps.httpAddress?.() ?? { host: '127.0.0.1', port: 15014 });
  }
}
