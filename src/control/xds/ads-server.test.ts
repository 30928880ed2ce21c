// The ADS server with the proxy's real ADS client over gRPC on loopback: push order, no push when
// nothing changed, removed clusters kept until the new routes are ACKed, NACK bookkeeping, and
// end-to-end propagation observed in the metrics.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { AdsServer } from './ads-server.js';
import { ControlMetrics } from '../metrics.js';
import { buildSnapshot, type Snapshot } from '../model/snapshot.js';
import { parseYamlText } from '../../api/parse.js';
import type { KindName, Resource } from '../../api/types.js';
import { AdsClient, type XdsHandler } from '../../proxy/xds/ads-client.js';
import type { XdsType } from '../../xds/protos.js';
import type { ProxyMetadata } from '../../xds/node-metadata.js';
import { proxySync } from './status.js';

const SERVICE = (name: string): string => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}}
spec:
  hosts: [${name}.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 127.0.0.9}]
`;

function snapshotOf(version: number, yaml: string): Snapshot {
  const { resources, errors } = parseYamlText(yaml, 'test.yaml');
  assert.deepEqual(errors.filter((e) => e.severity === 'error'), []);
  const byKind = new Map<KindName, Resource[]>();
  for (const r of resources) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  return buildSnapshot(version, byKind);
}

const metadata: ProxyMetadata = {
  type: 'sidecar',
  NAME: 'client-0',
  NAMESPACE: 'default',
  WORKLOAD_NAME: 'client',
  LABELS: { app: 'client' },
  SERVICE_ACCOUNT: 'client',
  INSTANCE_IP: '127.0.0.8',
  ADMIN_ADDRESS: '127.0.0.8:15000',
  CLUSTER_ID: 'Kubernetes',
};

interface Seen {
  type: XdsType;
  names: string[];
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(initial: Snapshot, reject?: (type: XdsType, names: string[]) => string | null): Promise<{
  server: AdsServer;
  client: AdsClient;
  seen: Seen[];
  metrics: ControlMetrics;
  setSnapshot: (s: Snapshot) => void;
}> {
  let snap = initial;
  const metrics = new ControlMetrics(() => 0, () => snap.version);
  const server = new AdsServer({ snapshot: () => snap, metrics, log: () => undefined });
  const port = await server.start('127.0.0.1', 0);
  const seen: Seen[] = [];
  const handler: XdsHandler = {
    onResources: (type, resources) => {
      const names = [...resources.keys()].sort();
      seen.push({ type, names });
      const err = reject?.(type, names) ?? null;
      if (err) return err;
      if (type === 'cluster') client.subscribe('endpoint', names);
      if (type === 'listener') client.subscribe('route', ['outbound_http']);
      return null;
    },
  };
  const client: AdsClient = new AdsClient({ address: `127.0.0.1:${port}`, node: { id: 'sidecar~127.0.0.8~client-0.default~default.svc.cluster.local', cluster: 'Kubernetes', metadata }, handler });
  client.subscribe('cluster', '*');
  client.subscribe('listener', '*');
  client.start();
  cleanups.push(() => client.stop(), () => server.stop());
  return { server, client, seen, metrics, setSnapshot: (s) => (snap = s) };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function synced(server: AdsServer): boolean {
  const c = [...server.connections.values()][0];
  if (!c) return false;
  const s = proxySync(c);
  return Object.values(s.types).every((t) => t.status === 'SYNCED');
}

test('a push goes out in the order CDS, EDS, LDS, RDS; an unchanged snapshot sends nothing', async () => {
  const { server, seen, setSnapshot, metrics } = await setup(snapshotOf(1, SERVICE('a')));
  await until('initial sync', () => synced(server));
  seen.length = 0;
  setSnapshot(snapshotOf(2, SERVICE('a') + '---\n' + SERVICE('b')));
  server.pushAll(performance.now());
  await until('pushed', () => seen.some((s) => s.type === 'route') && synced(server));
  const order = seen.map((s) => s.type).filter((t, i, a) => a.indexOf(t) === i);
  assert.deepEqual(order, ['cluster', 'endpoint', 'listener', 'route'].filter((t) => order.includes(t as XdsType)));
  assert.equal(order[0], 'cluster');
  assert.ok(metrics.propagationTime.labels().count >= 1, 'propagation observed after the ACKs');
  // Same content again: nothing is sent.
  seen.length = 0;
  setSnapshot(snapshotOf(3, SERVICE('a') + '---\n' + SERVICE('b')));
  server.pushAll(performance.now());
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(seen, []);
});

test('a removed cluster stays in CDS until the new routes are ACKed, then goes', async () => {
  const { server, seen, setSnapshot } = await setup(snapshotOf(1, SERVICE('a') + '---\n' + SERVICE('gone')));
  await until('initial sync', () => synced(server));
  seen.length = 0;
  // `gone` is removed and `c` added in one change.
  setSnapshot(snapshotOf(2, SERVICE('a') + '---\n' + SERVICE('c')));
  server.pushAll(performance.now());
  await until('cleanup CDS', () => seen.filter((s) => s.type === 'cluster').length >= 2 && synced(server));
  const cds = seen.filter((s) => s.type === 'cluster');
  const gone = 'outbound|80||gone.default.svc.cluster.local';
  assert.ok(cds[0]!.names.includes(gone), 'first CDS of the push still carries the removed cluster');
  assert.ok(cds[0]!.names.includes('outbound|80||c.default.svc.cluster.local'), 'and already the new one');
  const firstCds = seen.indexOf(cds[0]!);
  const rds = seen.findIndex((s, i) => i > firstCds && s.type === 'route');
  const lastCds = seen.lastIndexOf(cds[cds.length - 1]!);
  assert.ok(rds >= 0 && rds < lastCds, 'routes were updated before the cluster was removed');
  assert.ok(!cds[cds.length - 1]!.names.includes(gone), 'the final CDS no longer has it');
});

test('a NACK is recorded per type with the message, and counted', async () => {
  const { server, metrics } = await setup(snapshotOf(1, SERVICE('a')), (type) => (type === 'listener' ? 'listener outbound_http: bad thing' : null));
  await until('nack recorded', () => {
    const c = [...server.connections.values()][0];
    return c !== undefined && proxySync(c).types.lds.status === 'NACK';
  });
  const c = [...server.connections.values()][0]!;
  const st = proxySync(c);
  assert.equal(st.types.lds.nack, 'listener outbound_http: bad thing');
  assert.equal(st.types.cds.status, 'SYNCED');
  assert.equal(st.workload, 'client');
  assert.equal(st.adminAddress, '127.0.0.8:15000');
  assert.equal(metrics.rejects.labels('lds').value, 1);
});
