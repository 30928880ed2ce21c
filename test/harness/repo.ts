// Paths inside the repository, from compiled test code (dist/test/...) or source.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot();
export const DIST = path.join(REPO_ROOT, 'dist');
export const CONTROL_MAIN = path.join(DIST, 'src/control/main.js');
export const PROXY_MAIN = path.join(DIST, 'src/proxy/main.js');
export const UPSTREAM_MAIN = path.join(DIST, 'test/fixtures/upstream.js');
