// External tools the benchmark uses (nginx, wrk, h2load from nghttp2-client), installed from
// Debian when missing, since the benchmark runs on fresh machines.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Tools {
  nginx: string;
  /** Undefined when wrk could not be installed: the max-throughput step then reports n/a. */
  wrk: string | undefined;
  nginxVersion: string;
  /** Undefined when nghttp2-client could not be installed: the HTTP/2 scenario then reports n/a. */
  h2load: string | undefined;
}

const SEARCH_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin'];

export function findBinary(name: string): string | undefined {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found !== '') return found;
  for (const dir of SEARCH_DIRS) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function aptInstall(packages: readonly string[], log: (s: string) => void): boolean {
  if (!isRoot()) {
    log(`  cannot install ${packages.join(' ')}: not root (install them with apt-get as root)`);
    return false;
  }
  log(`  installing Debian packages: ${packages.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (update.status !== 0) log(`  apt-get update failed: ${update.stderr.trim().slice(-500)}`);
  const inst = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (inst.status !== 0) {
    log(`  apt-get install ${packages.join(' ')} failed: ${inst.stderr.trim().slice(-500)}`);
    return false;
  }
  return true;
}

/** Finds nginx, wrk and h2load, installing the Debian packages when missing. Throws if nginx is unavailable. */
export function ensureTools(log: (s: string) => void): Tools {
  const missing: string[] = [];
  if (findBinary('nginx') === undefined) missing.push('nginx');
  if (findBinary('wrk') === undefined) missing.push('wrk');
  if (findBinary('h2load') === undefined) missing.push('nghttp2-client');
  if (missing.length > 0) aptInstall(missing, log);
  const nginx = findBinary('nginx');
  if (nginx === undefined) throw new Error('nginx is not installed and could not be installed (apt-get install nginx)');
  const wrk = findBinary('wrk');
  if (wrk === undefined) log('  wrk is not available: max throughput will be reported as n/a');
  const h2load = findBinary('h2load');
  if (h2load === undefined) log('  h2load (nghttp2-client) is not available: HTTP/2 throughput will be reported as n/a');
  let nginxVersion = 'unknown';
  try {
    // nginx -v prints to stderr: "nginx version: nginx/1.22.1"
    const out = spawnSync(nginx, ['-v'], { encoding: 'utf8' });
    nginxVersion = (out.stderr + out.stdout).trim().replace(/^nginx version:\s*/, '');
  } catch {
    // keep unknown
  }
  return { nginx, wrk, nginxVersion, h2load };
}

export function commandOutput(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}
