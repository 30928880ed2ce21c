// Writes config YAML into a watched directory and applies it through the control plane API.
import fs from 'node:fs';
import path from 'node:path';
import { request } from './http.js';

export function writeConfig(dir: string, file: string, yaml: string): void {
  const tmp = path.join(dir, `.${file}.tmp`);
  fs.writeFileSync(tmp, yaml);
  fs.renameSync(tmp, path.join(dir, file));
}

export function removeConfig(dir: string, file: string): void {
  fs.rmSync(path.join(dir, file), { force: true });
}

export async function applyConfig(httpAddr: string, yaml: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await request(`http://${httpAddr}/debug/config/apply`, { method: 'POST', body: yaml, headers: { 'content-type': 'application/yaml', 'x-weft-source': 'test.yaml' } });
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
}

interface TypeSync {
  sentVersion: string | null;
  ackedVersion: string | null;
  nack: string | null;
  status: string;
}
export interface Syncz {
  id: string;
  name: string;
  types: Record<'cds' | 'eds' | 'lds' | 'rds', TypeSync>;
}

export async function syncz(httpAddr: string): Promise<Syncz[]> {
  const r = await request(`http://${httpAddr}/debug/syncz`);
  return JSON.parse(r.body) as Syncz[];
}

/** Resolves once every proxy has ACKed what was last sent for every type. */
export async function allSynced(httpAddr: string, expectedProxies: number): Promise<boolean> {
  const s = await syncz(httpAddr);
  if (s.length !== expectedProxies) return false;
  return s.every((p) => Object.values(p.types).every((t) => t.status === 'SYNCED'));
}
