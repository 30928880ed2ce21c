// `weft get KIND [NAME] [-n NS | -A] [-o table|json|yaml]`: lists config the control plane holds.
// Namespaces work as in kubectl: "default" unless -n is given, every namespace with -A.

import { ALL_KINDS } from '../api/types.js';
import type { KindName, Resource } from '../api/types.js';
import { OUTPUT_FLAG, flagSet, flagValue, outputFormat, parseArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './context.js';
import type { CliContext } from './context.js';
import { resolveKind, resourceTable, toYamlStream } from './get-format.js';
import { ControlPlaneError, getJson } from './http.js';
import { formatTable } from './table.js';

const GET_FLAGS = [
  OUTPUT_FLAG,
  { key: 'namespace', names: ['-n', '--namespace'], value: true },
  { key: 'all', names: ['-A', '--all-namespaces'], value: false },
];

async function fetchResources(
  ctx: CliContext,
  kind: KindName | 'all',
  namespace: string | undefined,
  name: string | undefined,
): Promise<Resource[]> {
  const q = new URLSearchParams();
  if (kind !== 'all') q.set('kind', kind);
  if (namespace !== undefined) q.set('namespace', namespace);
  if (name !== undefined) q.set('name', name);
  const reply = await getJson(ctx.controlPlane, `/debug/config?${q.toString()}`);
  const list = (reply as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(list)) throw new ControlPlaneError('control plane reply has no "resources" list');
  return (list as Resource[]).filter((r) => typeof r === 'object' && r !== null && typeof r.kind === 'string');
}

function sortResources(list: Resource[]): Resource[] {
  const order = (k: string): number => ALL_KINDS.indexOf(k as KindName);
  return [...list].sort(
    (a, b) =>
      order(a.kind) - order(b.kind) ||
      a.metadata.namespace.localeCompare(b.metadata.namespace) ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

export async function runGet(args: readonly string[], ctx: CliContext): Promise<number> {
  const p = parseArgs(args, GET_FLAGS, 'get');
  const format = outputFormat(p, ['table', 'json', 'yaml'], 'get');
  const [rawKind, name, extra] = p.positionals;
  if (rawKind === undefined) throw new UsageError('missing KIND (e.g. "weft get vs")', 'get');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, 'get');
  const kind = resolveKind(rawKind);
  if (!kind) throw new UsageError(`unknown kind "${rawKind}"; run "weft help get" for the list`, 'get');
  const allNamespaces = flagSet(p, 'all');
  const nsFlag = flagValue(p, 'namespace');
  if (allNamespaces && nsFlag !== undefined) throw new UsageError('use either -n NAMESPACE or -A, not both', 'get');
  if (allNamespaces && name !== undefined) {
    throw new UsageError('a resource cannot be fetched by name across all namespaces; use -n', 'get');
  }
  if (kind === 'all' && name !== undefined) throw new UsageError('"get all" does not take a NAME', 'get');
  const namespace = allNamespaces ? undefined : (nsFlag ?? 'default');

  const resources = sortResources(await fetchResources(ctx, kind, namespace, name));

  if (name !== undefined && resources.length === 0) {
    ctx.err(`error: ${kind} "${name}" not found in namespace "${namespace ?? ''}"`);
    return EXIT_FAILURE;
  }
  if (format === 'json') {
    ctx.out(JSON.stringify(name !== undefined ? resources[0] : resources, null, 2));
    return EXIT_OK;
  }
  if (format === 'yaml') {
    if (resources.length > 0) ctx.out(toYamlStream(resources).trimEnd());
    return EXIT_OK;
  }
  if (resources.length === 0) {
    ctx.err(namespace === undefined ? 'No resources found.' : `No resources found in ${namespace} namespace.`);
    return EXIT_OK;
  }
  const kinds = ALL_KINDS.filter((k) => resources.some((r) => r.kind === k));
  const sections = kinds.map((k) => {
    const t = resourceTable(
      k,
      resources.filter((r) => r.kind === k),
      kind === 'all',
    );
    return formatTable(t.headers, t.rows);
  });
  ctx.out(sections.join('\n\n'));
  return EXIT_OK;
}
