// `weft analyze` checks for Telemetry: provider names that log nothing, and several
// selector-less Telemetry resources in one namespace (only the first by name applies).
import type { Severity } from './errors.js';
import type { MeshConfig, Resource, Telemetry } from './types.js';
import type { PathSegment } from './validate-common.js';

export interface TelemetryFinding {
  resource: Resource;
  path: PathSegment[];
  severity: Severity;
  message: string;
}

const byName = (a: Resource, b: Resource): number =>
  `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);

export function telemetryFindings(resources: readonly Resource[]): TelemetryFinding[] {
  const telemetries = resources.filter((r): r is Telemetry => r.kind === 'Telemetry').sort(byName);
  if (telemetries.length === 0) return [];
  const mesh = resources.filter((r): r is MeshConfig => r.kind === 'MeshConfig').sort(byName)[0];
  const fileProviders = new Set((mesh?.spec.extensionProviders ?? []).filter((p) => p.envoyFileAccessLog).map((p) => p.name));
  const out: TelemetryFinding[] = [];
  const firstPerNamespace = new Map<string, Telemetry>();
  for (const t of telemetries) {
    if (!t.spec.selector) {
      const first = firstPerNamespace.get(t.metadata.namespace);
      if (first) {
        out.push({ resource: t, path: ['spec'], severity: 'warning', message: `Telemetry ${t.metadata.namespace}/${first.metadata.name} also has no selector: only the first by name (${first.metadata.name}) applies` });
      } else firstPerNamespace.set(t.metadata.namespace, t);
    }
    t.spec.accessLogging.forEach((a, i) =>
      a.providers.forEach((p, j) => {
        if (p.name === 'envoy' || fileProviders.has(p.name)) return;
        out.push({
          resource: t,
          path: ['spec', 'accessLogging', i, 'providers', j, 'name'],
          severity: 'warning',
          message: `access-log provider "${p.name}" is neither "envoy" nor a MeshConfig extensionProviders entry with envoyFileAccessLog: it logs nothing`,
        });
      }),
    );
  }
  return out;
}
