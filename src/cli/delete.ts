// `weft delete -f FILE|DIR|-`: removes the resources named in YAML from the control plane.

import { flagSet } from './args.js';
import type { FlagDef } from './args.js';
import { EXIT_FAILURE, EXIT_OK } from './context.js';
import type { CliContext } from './context.js';
import { loadManifests } from './apply.js';
import { displaySource, sendManifest } from './manifests.js';
import { stringList } from './http.js';

const IGNORE_NOT_FOUND: FlagDef = { key: 'ignoreNotFound', names: ['--ignore-not-found'], value: false };

export async function runDelete(args: readonly string[], ctx: CliContext): Promise<number> {
  const loaded = await loadManifests(args, 'delete', ctx, [IGNORE_NOT_FOUND]);
  if (!loaded) return EXIT_FAILURE;
  const ignoreNotFound = flagSet(loaded.parsed, 'ignoreNotFound');
  let failed = false;
  for (const m of loaded.manifests) {
    const r = await sendManifest(ctx, '/debug/config/delete', m);
    for (const k of stringList(r.reply, 'deleted')) ctx.out(`${k} deleted`);
    if (!r.ok) {
      failed = true;
      for (const e of r.errors) ctx.err(e);
      ctx.err(`error: ${displaySource(m.source)}: ${r.errors.length} error(s) deleting`);
    }
    for (const k of stringList(r.reply, 'notFound')) {
      if (ignoreNotFound) {
        ctx.out(`${k} not found (ignored)`);
      } else {
        ctx.err(`error: ${k} not found`);
        failed = true;
      }
    }
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}
