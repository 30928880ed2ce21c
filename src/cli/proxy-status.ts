// `weft proxy-status [-o json]`: which proxies are connected and whether each has ACKed the
// latest CDS/LDS/EDS/RDS the control plane sent (istioctl proxy-status).

import type { ProxySync, SyncTypeStatus, XdsTypeName } from '../control/debug/backend.js';
import { OUTPUT_FLAG, outputFormat, parseArgs } from './args.js';
import { EXIT_OK, UsageError } from './context.js';
import type { CliContext } from './context.js';
import { ControlPlaneError, getJson } from './http.js';
import { cleanCell, formatTable } from './table.js';

const COLUMNS: readonly XdsTypeName[] = ['cds', 'lds', 'eds', 'rds'];

function statusCell(s: SyncTypeStatus | undefined): string {
  if (!s) return 'NOT SENT';
  return s.status === 'NOT_SENT' ? 'NOT SENT' : s.status;
}

export async function runProxyStatus(args: readonly string[], ctx: CliContext): Promise<number> {
  const p = parseArgs(args, [OUTPUT_FLAG], 'proxy-status');
  const format = outputFormat(p, ['table', 'json'], 'proxy-status');
  if (p.positionals.length > 0) throw new UsageError(`unexpected argument "${p.positionals[0]}"`, 'proxy-status');
  const reply = await getJson(ctx.controlPlane, '/debug/syncz');
  if (!Array.isArray(reply)) throw new ControlPlaneError('control plane reply to /debug/syncz is not a list');
  const proxies = (reply as ProxySync[])
    .filter((x) => typeof x === 'object' && x !== null && typeof x.id === 'string')
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  if (format === 'json') {
    ctx.out(JSON.stringify(proxies, null, 2));
    return EXIT_OK;
  }
  if (proxies.length === 0) {
    ctx.err(`No proxies are connected to the control plane at ${ctx.controlPlane.display}.`);
    return EXIT_OK;
  }
  const headers = ['NAME', 'TYPE', 'WORKLOAD', 'NAMESPACE', 'ADMIN', ...COLUMNS.map((c) => c.toUpperCase())];
  const rows = proxies.map((x) => [
    x.name,
    x.type,
    x.workload,
    x.namespace,
    x.adminAddress,
    ...COLUMNS.map((c) => statusCell(x.types?.[c])),
  ]);
  ctx.out(formatTable(headers, rows));
  const nacks = proxies.flatMap((x) =>
    COLUMNS.flatMap((c) => {
      const nack = x.types?.[c]?.nack;
      return nack ? [`  ${x.name}.${x.namespace} ${c.toUpperCase()}: ${cleanCell(nack)}`] : [];
    }),
  );
  if (nacks.length > 0) ctx.out(`\nRejected config (NACK):\n${nacks.join('\n')}`);
  return EXIT_OK;
}
