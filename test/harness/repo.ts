// Paths inside the repository, from compiled test code (dist/test/...).
import path from 'node:path';
import { repoRoot } from '../../src/testing/repo-root.js';

export const REPO_ROOT = repoRoot();
export const DIST = path.join(REPO_ROOT, 'dist');
export const CONTROL_MAIN = path.join(DIST, 'src/control/main.js');
export const PROXY_MAIN = path.join(DIST, 'src/proxy/main.js');
export const UPSTREAM_MAIN = path.join(DIST, 'test/fixtures/upstream.js');
