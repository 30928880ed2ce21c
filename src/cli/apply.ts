// `weft apply -f FILE|DIR|-`: sends YAML to the control plane. Each file is applied atomically by
// the control plane; with several files we first parse them all locally so that a mistake in one
// file stops the whole apply before anything changes.

import type { ConfigError } from '../api/errors.js';
import { flagSet, flagValue, parseArgs } from './args.js';
import type { FlagDef, ParsedArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './context.js';
import type { CliContext } from './context.js';
import { ManifestError, displaySource, readManifests, sendManifest } from './manifests.js';
import type { Manifest } from './manifests.js';
import { stringList } from './http.js';

export const FILE_FLAGS: readonly FlagDef[] = [
  { key: 'file', names: ['-f', '--filename'], value: true },
  { key: 'recursive', names: ['-R', '--recursive'], value: false },
];

/** Reads -f targets; prints ManifestError and returns null so callers can exit 1. */
export async function loadManifests(
  args: readonly string[],
  verb: string,
  ctx: CliContext,
  extraFlags: readonly FlagDef[] = [],
): Promise<{ manifests: Manifest[]; parsed: ParsedArgs } | null> {
  const p = parseArgs(args, [...FILE_FLAGS, ...extraFlags], verb);
  if (p.positionals.length > 0) throw new UsageError(`unexpected argument "${p.positionals[0]}"; use -f FILE`, verb);
  if (flagValue(p, 'file') === undefined) throw new UsageError('missing -f FILE|DIR|-', verb);
  try {
    return { manifests: await readManifests(p.flags.get('file') ?? [], flagSet(p, 'recursive'), ctx), parsed: p };
  } catch (err) {
    if (err instanceof ManifestError) {
      ctx.err(`error: ${err.message}`);
      return null;
    }
    throw err;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Parses every manifest locally; prints errors and returns false if any has one. */
async function prevalidate(manifests: readonly Manifest[], ctx: CliContext): Promise<boolean> {
  const { parseYamlText } = await import('../api/parse.js');
  const { formatConfigError } = await import('../api/errors.js');
  let errorCount = 0;
  let badFiles = 0;
  for (const m of manifests) {
    const errors = parseYamlText(m.text, m.source).errors.filter((e: ConfigError) => e.severity === 'error');
    if (errors.length > 0) badFiles++;
    for (const e of errors) {
      errorCount++;
      ctx.err(formatConfigError({ ...e, file: displaySource(e.file) }));
    }
  }
  if (errorCount > 0) {
    ctx.err(`error: ${plural(errorCount, 'error')} in ${badFiles} of ${plural(manifests.length, 'file')}; nothing was applied`);
  }
  return errorCount === 0;
}

export async function runApply(args: readonly string[], ctx: CliContext): Promise<number> {
  const loaded = await loadManifests(args, 'apply', ctx);
  if (!loaded) return EXIT_FAILURE;
  const { manifests } = loaded;
  if (manifests.length > 1 && !(await prevalidate(manifests, ctx))) return EXIT_FAILURE;
  let failed = 0;
  for (const m of manifests) {
    const r = await sendManifest(ctx, '/debug/config/apply', m);
    for (const w of stringList(r.reply, 'warnings')) ctx.err(w.startsWith('warning: ') ? w : `warning: ${w}`);
    if (!r.ok) {
      failed++;
      for (const e of r.errors) ctx.err(e);
      ctx.err(`error: ${displaySource(m.source)}: ${plural(r.errors.length, 'error')}; nothing in this file was applied`);
      continue;
    }
    const applied = stringList(r.reply, 'applied');
    const unchanged = stringList(r.reply, 'unchanged');
    for (const k of applied) ctx.out(`${k} applied`);
    for (const k of unchanged) ctx.out(`${k} unchanged`);
    if (applied.length + unchanged.length === 0) ctx.err(`warning: ${displaySource(m.source)}: no resources found`);
  }
  if (failed > 0 && manifests.length > 1) {
    ctx.err(`error: ${failed} of ${plural(manifests.length, 'file')} failed to apply`);
  }
  return failed > 0 ? EXIT_FAILURE : EXIT_OK;
}
