// `weft analyze`: everything loading reports, plus checks across resources (what Istio's analyzers
// call "referenced host not found", "referenced subset not found", "referenced gateway not found").
// Weights that do not sum to 100 are caught earlier, by VirtualService validation.

import { readFileSync } from 'node:fs';
import type { ConfigError, Severity } from './errors.js';
import { hostMatches, resolveHost, serviceHost } from './hosts.js';
import { loadDirectory } from './load-dir.js';
import { documentLocator } from './parse.js';
import type { DestinationRule, Resource, VirtualService } from './types.js';
import { formatPath, type PathSegment } from './validate-common.js';
import { readRetryBudgetAnnotations } from './retry-on.js';
import { telemetryFindings } from './analyze-telemetry.js';

/** loadDirectory's errors followed by the cross-resource findings (with lines). */
export function analyzeDirectory(dir: string): ConfigError[] {
  const { resources, errors } = loadDirectory(dir);
  const findings = analyze(resources);
  const locators = new Map<string, ReturnType<typeof documentLocator> | undefined>();
  const lineOf = (f: Finding): number | undefined => {
    const file = f.resource.source?.file;
    if (file === undefined) return undefined;
    if (!locators.has(file)) {
      try {
        locators.set(file, documentLocator(readFileSync(file, 'utf8')));
      } catch {
        locators.set(file, undefined);
      }
    }
    return locators.get(file)?.(f.resource.source?.document ?? 0, f.path);
  };
  return [...errors, ...findings.map((f) => toConfigError(f, lineOf(f)))];
}

/** Cross-resource checks on resources that each passed validation (no line numbers). */
export function analyzeResources(resources: readonly Resource[]): ConfigError[] {
  return analyze(resources).map((f) => toConfigError(f, undefined));
}

interface Finding {
  resource: Resource;
  path: PathSegment[];
  severity: Severity;
  message: string;
}

type Report = (path: PathSegment[], severity: Severity, message: string) => void;

function analyze(resources: readonly Resource[]): Finding[] {
  const namespaces = new Set(resources.map((r) => r.metadata.namespace));
  const resolve = (host: string, ns: string): string => resolveHost(host, ns, namespaces);

  const known: string[] = []; // resolved hosts and wildcard patterns
  const rules: { rule: DestinationRule; host: string }[] = [];
  const gateways = new Set<string>();
  for (const r of resources) {
    const ns = r.metadata.namespace;
    switch (r.kind) {
      case 'ServiceEntry':
        for (const h of r.spec.hosts) known.push(resolve(h, ns));
        break;
      case 'Workload':
        known.push(serviceHost(r.spec.service, ns));
        break;
      case 'DestinationRule':
        known.push(resolve(r.spec.host, ns));
        rules.push({ rule: r, host: resolve(r.spec.host, ns) });
        break;
      case 'Gateway':
        gateways.add(`${ns}/${r.metadata.name}`);
        break;
      default:
        break;
    }
  }

  const out: Finding[] = [];
  for (const r of resources) {
    if (r.kind !== 'VirtualService') continue;
    const report: Report = (path, severity, message) => out.push({ resource: r, path, severity, message });
    checkGatewayRefs(r, gateways, report);
    for (const [key, problem] of readRetryBudgetAnnotations(r.metadata.annotations).problems) report(['metadata', 'annotations', key], 'warning', problem);
    r.spec.http.forEach((route, i) => {
      route.route.forEach((rd, j) => {
        const path = ['spec', 'http', i, 'route', j, 'destination'];
        const written = rd.destination.host;
        const host = resolve(written, r.metadata.namespace);
        const shown = host === written ? `"${written}"` : `"${written}" (${host})`;
        if (!known.some((k) => hostMatches(k, host))) {
          report([...path, 'host'], 'warning', `host ${shown} matches no ServiceEntry host, Workload service or DestinationRule host`);
        }
        const subset = rd.destination.subset;
        if (subset === undefined) return;
        // Istio merges DestinationRules for one host, so a subset defined by any of them counts.
        const candidates = rules.filter((d) => hostMatches(d.host, host));
        if (candidates.length === 0) {
          report([...path, 'subset'], 'error', `subset "${subset}" is not defined: no DestinationRule for host ${shown}`);
        } else if (!candidates.some((d) => d.rule.spec.subsets.some((s) => s.name === subset))) {
          const names = candidates.map((d) => `${d.rule.metadata.namespace}/${d.rule.metadata.name}`).join(', ');
          const defined = [...new Set(candidates.flatMap((d) => d.rule.spec.subsets.map((s) => s.name)))];
          const list = defined.length === 0 ? 'no subsets' : `subsets ${defined.join(', ')}`;
          report([...path, 'subset'], 'error', `subset "${subset}" is not defined by DestinationRule ${names} (it defines ${list})`);
        }
      });
    });
  }
  out.push(...telemetryFindings(resources));
  return out;
}

/** `gateways:` in the spec and in each match: "mesh", "name" (same namespace) or "namespace/name". */
function checkGatewayRefs(vs: VirtualService, gateways: ReadonlySet<string>, report: Report): void {
  const check = (ref: string, path: PathSegment[]): void => {
    if (ref === 'mesh') return;
    const qualified = ref.includes('/') ? ref : `${vs.metadata.namespace}/${ref}`;
    if (!gateways.has(qualified)) report(path, 'warning', `Gateway ${qualified} not found ("mesh" means the sidecars)`);
  };
  vs.spec.gateways.forEach((g, i) => check(g, ['spec', 'gateways', i]));
  vs.spec.http.forEach((route, i) =>
    route.match.forEach((m, j) => m.gateways?.forEach((g, k) => check(g, ['spec', 'http', i, 'match', j, 'gateways', k]))),
  );
}

function toConfigError(f: Finding, line: number | undefined): ConfigError {
  const r = f.resource;
  const e: ConfigError = {
    file: r.source?.file ?? '',
    document: r.source?.document ?? 0,
    kind: r.kind,
    name: r.metadata.name,
    namespace: r.metadata.namespace,
    path: formatPath(f.path),
    message: f.message,
    severity: f.severity,
  };
  if (line !== undefined) e.line = line;
  return e;
}
