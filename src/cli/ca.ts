// `weft ca status [-o json]` and `weft ca rotate-root [--overlap DURATION] [-o json]`: the
// control plane's built-in CA through its HTTP API (/debug/ca). Rotation makes a new root; the
// old one stays in the trust bundle for the overlap so proxies move over without failed requests.

import type { CaStatus } from '../control/ca/certificate-authority.js';
import { flagValue, OUTPUT_FLAG, outputFormat, parseArgs } from './args.js';
import { EXIT_OK, UsageError } from './context.js';
import type { CliContext } from './context.js';
import { ControlPlaneError, getJson, parseJson, request } from './http.js';
import { formatTable } from './table.js';

const VERB = 'ca';

/** "90s", "15m", "1h", "2h30m", or plain seconds. */
export function parseDurationSeconds(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (m.index !== consumed) break;
    consumed += m[0].length;
    total += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
  }
  if (consumed !== text.length || text === '') throw new UsageError(`--overlap: expected a duration like 1h, 30m or 90s, got "${text}"`, VERB);
  return total;
}

function printStatus(ctx: CliContext, s: CaStatus): void {
  ctx.out(`mode: ${s.mode}   trust domain: ${s.trustDomain}   workload certificate TTL: ${s.defaultTtlSeconds}s   issued: ${s.issued}`);
  ctx.out(
    formatTable(
      ['ROOT', 'SUBJECT', 'SERIAL NUMBER', 'NOT AFTER', 'STATE'],
      s.roots.map((r, i) => [String(i), r.subject, r.serial, r.notAfter, r.active ? 'ACTIVE' : `RETIRING until ${r.removeAt ?? '?'}`]),
    ),
  );
}

export async function runCa(args: readonly string[], ctx: CliContext): Promise<number> {
  const p = parseArgs(args, [OUTPUT_FLAG, { key: 'overlap', names: ['--overlap'], value: true }], VERB);
  const format = outputFormat(p, ['table', 'json'], VERB);
  const [sub, ...rest] = p.positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, VERB);
  let status: CaStatus;
  if (sub === 'status') {
    if (flagValue(p, 'overlap') !== undefined) throw new UsageError('--overlap goes with rotate-root', VERB);
    status = (await getJson(ctx.controlPlane, '/debug/ca')) as CaStatus;
  } else if (sub === 'rotate-root') {
    const overlap = parseDurationSeconds(flagValue(p, 'overlap') ?? '1h');
    const path = `/debug/ca/rotate-root?overlap=${overlap}`;
    const res = await request(ctx.controlPlane, 'POST', path);
    const value = parseJson(ctx.controlPlane, path, res) as CaStatus & { error?: string };
    if (res.status !== 200) throw new ControlPlaneError(`control plane answered ${res.status}: ${value.error ?? res.body.trim()}`);
    status = value;
    if (format === 'table') ctx.out(`root rotated; the previous root stays trusted for ${overlap}s\n`);
  } else {
    throw new UsageError(sub === undefined ? 'missing subcommand (status or rotate-root)' : `unknown subcommand "${sub}"`, VERB);
  }
  if (format === 'json') ctx.out(JSON.stringify(status, null, 2));
  else printStatus(ctx, status);
  return EXIT_OK;
}
