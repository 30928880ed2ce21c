// `weft analyze DIR [-o json]`: validates a directory of config offline (no control plane) and
// prints every error and warning. Exits 1 if there is any error.

import { stat } from 'node:fs/promises';
import type { ConfigError } from '../api/errors.js';
import { OUTPUT_FLAG, outputFormat, parseArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './context.js';
import type { CliContext } from './context.js';

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export async function runAnalyze(args: readonly string[], ctx: CliContext): Promise<number> {
  const p = parseArgs(args, [OUTPUT_FLAG], 'analyze');
  const format = outputFormat(p, ['table', 'json'], 'analyze');
  const [dir, extra] = p.positionals;
  if (dir === undefined) throw new UsageError('missing DIR', 'analyze');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, 'analyze');
  const st = await stat(dir).catch(() => null);
  if (!st) {
    ctx.err(`error: the path "${dir}" does not exist`);
    return EXIT_FAILURE;
  }
  if (!st.isDirectory()) {
    ctx.err(`error: "${dir}" is not a directory (analyze checks a whole directory, so cross-file references resolve)`);
    return EXIT_FAILURE;
  }
  const { analyzeDirectory } = await import('../api/analyze.js');
  const { formatConfigError } = await import('../api/errors.js');
  const found: ConfigError[] = await analyzeDirectory(dir);
  const errors = found.filter((e) => e.severity === 'error').length;
  const warnings = found.length - errors;
  if (format === 'json') {
    ctx.out(JSON.stringify(found, null, 2));
  } else {
    for (const e of found) ctx.out(formatConfigError(e));
    if (found.length === 0) ctx.out(`No validation issues found in ${dir}.`);
    else ctx.out(`\nFound ${count(errors, 'error')} and ${count(warnings, 'warning')} in ${dir}.`);
  }
  return errors > 0 ? EXIT_FAILURE : EXIT_OK;
}
