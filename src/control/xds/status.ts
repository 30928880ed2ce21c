// Sync status per proxy and type, as `weft proxy-status` and /debug/syncz show it.
import type { ProxySync, SyncTypeStatus, XdsTypeName } from '../debug/backend.js';
import type { XdsType } from '../../xds/protos.js';
import type { Connection } from './connection.js';

const TYPES: [XdsTypeName, XdsType][] = [
  ['cds', 'cluster'],
  ['eds', 'endpoint'],
  ['lds', 'listener'],
  ['rds', 'route'],
];

export function typeStatus(conn: Connection, type: XdsType): SyncTypeStatus {
  const s = conn.state(type);
  if (!s || s.sentVersion === null) {
    return { sentVersion: null, sentNonce: null, ackedVersion: s?.ackedVersion ?? null, nack: null, status: 'NOT_SENT' };
  }
  const status = s.nack !== null ? 'NACK' : s.ackedVersion === s.sentVersion ? 'SYNCED' : 'STALE';
  return { sentVersion: s.sentVersion, sentNonce: s.sentNonce, ackedVersion: s.ackedVersion, nack: s.nack, status };
}

export function proxySync(conn: Connection): ProxySync {
  const m = conn.proxy.metadata;
  const types = {} as Record<XdsTypeName, SyncTypeStatus>;
  for (const [short, type] of TYPES) types[short] = typeStatus(conn, type);
  return {
    id: conn.proxy.id,
    type: m.type,
    name: m.NAME,
    workload: m.WORKLOAD_NAME,
    namespace: m.NAMESPACE,
    adminAddress: m.ADMIN_ADDRESS,
    connectedAt: conn.connectedAt.toISOString(),
    types,
  };
}
