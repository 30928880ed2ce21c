// Reading the control plane's GET /debug/syncz: per proxy and xDS type, the version last sent and
// the version the proxy last ACKed.

import { httpRequest } from './probe.js';

export interface TypeVersions {
  sentVersion: string | null;
  ackedVersion: string | null;
}

export interface ProxyVersions {
  id: string;
  name: string;
  lds: TypeVersions | undefined;
  rds: TypeVersions | undefined;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function version(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return null;
}

function typeVersions(v: unknown): TypeVersions | undefined {
  const r = asRecord(v);
  if (r === undefined) return undefined;
  return { sentVersion: version(r['sentVersion']), ackedVersion: version(r['ackedVersion']) };
}

/** Parses a syncz body: an array of proxies (or `{proxies: [...]}`), each with `types.lds/rds`. */
export function parseSyncz(body: unknown): ProxyVersions[] {
  const list = Array.isArray(body) ? body : asRecord(body)?.['proxies'];
  if (!Array.isArray(list)) throw new Error('syncz: expected a JSON array of proxies');
  return list.map((item, i) => {
    const p = asRecord(item) ?? {};
    const types = asRecord(p['types']) ?? {};
    const id = typeof p['id'] === 'string' ? p['id'] : `#${i}`;
    const name = typeof p['name'] === 'string' ? p['name'] : id;
    return { id, name, lds: typeVersions(types['lds']), rds: typeVersions(types['rds']) };
  });
}

export async function fetchSyncz(httpPort: number): Promise<ProxyVersions[]> {
  const r = await httpRequest('127.0.0.1', httpPort, '/debug/syncz', { timeoutMs: 3000 });
  if (r.status !== 200) throw new Error(`GET /debug/syncz: status ${r.status}: ${r.body.slice(0, 300)}`);
  return parseSyncz(JSON.parse(r.body) as unknown);
}

export function isAcked(t: TypeVersions | undefined): boolean {
  return t !== undefined && t.sentVersion !== null && t.ackedVersion === t.sentVersion;
}

/** A proxy has the new config when its RDS version changed and both RDS and LDS are ACKed. */
export function hasNewConfig(p: ProxyVersions, before: ProxyVersions | undefined): boolean {
  if (!isAcked(p.rds) || !isAcked(p.lds)) return false;
  if (before === undefined) return true;
  return p.rds?.sentVersion !== before.rds?.sentVersion;
}

/** True when LDS was re-sent too (informational: a route-only change need not touch LDS). */
export function ldsChanged(p: ProxyVersions, before: ProxyVersions | undefined): boolean {
  return before !== undefined && p.lds?.sentVersion !== before.lds?.sentVersion;
}
