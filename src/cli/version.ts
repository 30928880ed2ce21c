// `weft version [-o json]`: the CLI's version, read from the package.json shipped beside dist/.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUTPUT_FLAG, outputFormat, parseArgs } from './args.js';
import { EXIT_OK } from './context.js';
import type { CliContext } from './context.js';

/** Walks up from this module to the nearest package.json (src/cli or dist/src/cli). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        return typeof v === 'string' ? v : 'unknown';
      } catch {
        return 'unknown';
      }
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

export async function runVersion(args: readonly string[], ctx: CliContext): Promise<number> {
  const p = parseArgs(args, [OUTPUT_FLAG], 'version');
  const format = outputFormat(p, ['table', 'json'], 'version');
  const info = { version: packageVersion(), node: process.version, platform: `${process.platform}/${process.arch}` };
  if (format === 'json') ctx.out(JSON.stringify(info, null, 2));
  else ctx.out(`weft ${info.version} (node ${info.node}, ${info.platform})`);
  return EXIT_OK;
}
