// `weft up`'s own control endpoint: a small HTTP server on 127.0.0.1 (an ephemeral port) whose
// address is written to STATE/up.json, so `weft restart` can find the running `weft up`.
//   POST /restart?workload=NAME&namespace=NS   rolling restart; answers with the RestartResults
//   GET  /status                               pid and instance names

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RestartResult } from './lifecycle.js';

export interface UpControl {
  restart(namespace: string, workload: string): Promise<RestartResult[]>;
  instances(): string[];
}

export interface UpStateFile {
  pid: number;
  /** Base URL of the control endpoint, e.g. http://127.0.0.1:40123 */
  control: string;
}

export function upStatePath(stateDir: string): string {
  return join(stateDir, 'up.json');
}

export function readUpState(stateDir: string): UpStateFile {
  const file = upStatePath(stateDir);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${file} (is "weft up" running with this state dir?): ${(e as Error).message}`, { cause: e });
  }
  const s = parsed as Partial<UpStateFile>;
  if (typeof s.control !== 'string' || typeof s.pid !== 'number') throw new Error(`${file}: unexpected content`);
  return { pid: s.pid, control: s.control };
}

export function removeUpState(stateDir: string): void {
  rmSync(upStatePath(stateDir), { force: true });
}

/** Starts the control server and writes STATE/up.json. */
export function startControlServer(stateDir: string, control: UpControl): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://weft-up');
    const send = (status: number, body: unknown): void => {
      const text = `${JSON.stringify(body, null, 2)}\n`;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (url.pathname === '/status' && req.method === 'GET') {
      send(200, { pid: process.pid, instances: control.instances() });
      return;
    }
    if (url.pathname === '/restart' && req.method === 'POST') {
      const workload = url.searchParams.get('workload');
      const namespace = url.searchParams.get('namespace') ?? 'default';
      if (!workload) {
        send(400, { error: 'missing query parameter "workload"' });
        return;
      }
      control.restart(namespace, workload).then(
        (results) => send(200, { results }),
        (e: unknown) => send(404, { error: e instanceof Error ? e.message : String(e) }),
      );
      return;
    }
    send(404, { error: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      const state: UpStateFile = { pid: process.pid, control: `http://127.0.0.1:${port}` };
      writeFileSync(upStatePath(stateDir), `${JSON.stringify(state)}\n`);
      resolve(server);
    });
  });
}
