#!/usr/bin/env node
// Entry point for the `weft` CLI; the code lives in dist/ (built by `npm run build`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
