// nginx instances for the baseline targets: the upstream (fixed 1 KiB body) and reverse proxies.
// Each instance has its own prefix directory (config, logs, temp dirs, pid file) under the run's
// temp dir and runs in the foreground (daemon off) as a child of the benchmark.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Child } from './procs.js';
import { spawnChild, stopChild } from './procs.js';
import { httpRequest, requireFree, waitUntil } from './probe.js';

export const BODY_SIZE = 1024;
/** The fixed response body: 1024 bytes of printable ASCII (no quotes or backslashes). */
export const BODY = 'x'.repeat(BODY_SIZE);

export interface Listen {
  host: string;
  port: number;
}

export type NginxRole =
  | { kind: 'upstream' }
  | { kind: 'proxy'; upstream: Listen };

export interface NginxInstance {
  name: string;
  listen: Listen;
  prefix: string;
  child: Child;
  stop(): Promise<void>;
}

function commonHead(prefix: string): string {
  return `worker_processes 1;
daemon off;
master_process on;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events {
  worker_connections 4096;
  multi_accept on;
}
`;
}

function tempPaths(prefix: string): string {
  const t = join(prefix, 'tmp');
  return `  client_body_temp_path ${t}/client_body;
  proxy_temp_path ${t}/proxy;
  fastcgi_temp_path ${t}/fastcgi;
  uwsgi_temp_path ${t}/uwsgi;
  scgi_temp_path ${t}/scgi;
`;
}

export function nginxConfig(prefix: string, listen: Listen, role: NginxRole): string {
  const httpCommon = `  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  server_tokens off;
${tempPaths(prefix)}`;
  if (role.kind === 'upstream') {
    return `${commonHead(prefix)}http {
${httpCommon}  server {
    listen ${listen.host}:${listen.port};
    location / {
      default_type text/plain;
      return 200 "${BODY}";
    }
  }
}
`;
  }
  const up = role.upstream;
  return `${commonHead(prefix)}http {
${httpCommon}  upstream backend {
    server ${up.host}:${up.port};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen ${listen.host}:${listen.port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
}

export async function startNginx(
  nginxBin: string,
  baseDir: string,
  name: string,
  listen: Listen,
  role: NginxRole,
): Promise<NginxInstance> {
  await requireFree(`nginx ${name}`, [listen]);
  const prefix = join(baseDir, `nginx-${name}`);
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig(prefix, listen, role));
  const child = spawnChild(`nginx-${name}`, nginxBin, ['-p', prefix, '-e', join(prefix, 'logs', 'error.log'), '-c', conf]);
  const instance: NginxInstance = { name, listen, prefix, child, stop: () => stopChild(child) };
  try {
    await waitUntil(
      `nginx ${name} on ${listen.host}:${listen.port}`,
      async () => {
        if (!child.isRunning()) throw new Error(`nginx exited: ${child.output().trim()}`);
        const r = await httpRequest(listen.host, listen.port, '/', { timeoutMs: 1000 });
        return r.status === 200 && r.body.length === BODY_SIZE;
      },
      10_000,
      50,
    );
  } catch (err) {
    await instance.stop();
    throw err;
  }
  return instance;
}
