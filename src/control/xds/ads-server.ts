// The ADS server (state of the world). Each stream is a Connection; config changes reach it through
// the push queue. Per type we send only when the content hash changed, in the order CDS, EDS, LDS,
// RDS, and clusters that disappeared stay in CDS until the proxy has ACKed the new routes.
import crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import {
  ADS_SERVICE,
  fromStruct,
  type AdsServiceImplementation,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../xds/ads-service.js';
import { TYPE_BY_URL, TYPE_URL, type XdsType } from '../../xds/protos.js';
import { encodeResource } from '../../xds/json-codec.js';
import type { ProxyMetadata } from '../../xds/node-metadata.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import { authorityHost } from '../model/collector.js';
import { translate, type ProxyResources } from '../translate/index.js';
import type { Json } from '../translate/clusters.js';
import type { ControlMetrics } from '../metrics.js';
import { Connection, namesEqual, PUSH_ORDER, SHORT_TYPE } from './connection.js';
import { PushQueue, type PushRequest } from './push-queue.js';
import { shutdownGrpcServer } from '../../xds/grpc-shutdown.js';

export interface AdsServerOptions {
  snapshot: () => Snapshot;
  metrics: ControlMetrics;
  log: (msg: string) => void;
  pushConcurrency?: number;
  /** SDS resources (the CA's ROOTCA trust bundle); without it SDS requests are ignored. */
  secrets?: () => ReadonlyMap<string, Json>;
}

/** A change being propagated: which proxies still owe an ACK for it. */
interface Generation {
  eventAt: number;
  pending: Set<Connection>;
}

function proxyFromNode(node: DiscoveryRequest['node']): ProxyModel {
  const md = fromStruct(node?.metadata) as Partial<ProxyMetadata> & Record<string, unknown>;
  const labels: Record<string, string> = {};
  if (md.LABELS && typeof md.LABELS === 'object') {
    for (const [k, v] of Object.entries(md.LABELS)) if (typeof v === 'string') labels[k] = v;
  }
  const portMap: Record<string, number> = {};
  if (md.PORT_MAP && typeof md.PORT_MAP === 'object') {
    for (const [k, v] of Object.entries(md.PORT_MAP)) if (typeof v === 'number') portMap[k] = v;
  }
  const str = (v: unknown, d: string): string => (typeof v === 'string' && v !== '' ? v : d);
  const metadata: ProxyMetadata = {
    type: md.type === 'router' ? 'router' : 'sidecar',
    NAME: str(md.NAME, node?.id ?? 'unknown'),
    NAMESPACE: str(md.NAMESPACE, 'default'),
    WORKLOAD_NAME: str(md.WORKLOAD_NAME, 'unknown'),
    LABELS: labels,
    SERVICE_ACCOUNT: str(md.SERVICE_ACCOUNT, 'default'),
    INSTANCE_IP: str(md.INSTANCE_IP, '127.0.0.1'),
    ADMIN_ADDRESS: str(md.ADMIN_ADDRESS, ''),
    CLUSTER_ID: str(md.CLUSTER_ID, 'Kubernetes'),
    PORT_MAP: portMap,
  };
  if (typeof md.OUTBOUND_PORT === 'number') metadata.OUTBOUND_PORT = md.OUTBOUND_PORT;
  if (typeof md.STATS_PORT === 'number') metadata.STATS_PORT = md.STATS_PORT;
  const proxy: ProxyModel = { id: node?.id ?? `${metadata.type}~${metadata.INSTANCE_IP}~${metadata.NAME}`, metadata };
  const l = node?.locality;
  if (l && (l.region || l.zone || l.sub_zone)) proxy.locality = { region: l.region ?? '', zone: l.zone ?? '', subZone: l.sub_zone ?? '' };
  return proxy;
}

/** Encodes resources once per distinct JSON: proxies that share a cluster share its bytes. */
class EncodeCache {
  private current = new Map<string, Buffer>();
  private previous = new Map<string, Buffer>();

  encode(typeUrl: string, json: Json): { key: string; bytes: Buffer } {
    const key = JSON.stringify(json);
    let bytes = this.current.get(key) ?? this.previous.get(key);
    if (!bytes) bytes = encodeResource(typeUrl, json);
    this.current.set(key, bytes);
    return { key, bytes };
  }

  /** Called once per snapshot: entries not used since the last rotation are dropped. */
  rotate(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

export class AdsServer {
  readonly connections = new Map<string, Connection>();
  private readonly queue: PushQueue<Connection>;
  private readonly generations = new Map<number, Generation>();
  private readonly encodeCache = new EncodeCache();
  private server: grpc.Server | null = null;
  private connCounter = 0;
  private generationCounter = 0;

  constructor(private readonly opts: AdsServerOptions) {
    this.queue = new PushQueue(opts.pushConcurrency ?? 100, (conn, req) => this.push(conn, req));
  }

  async start(host: string, port: number): Promise<number> {
    const server = new grpc.Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_permit_without_calls': 1 });
    server.addService(ADS_SERVICE, this.handlers());
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
    });
    this.server = server;
    return bound;
  }

  /** The ADS handlers, also served on the control plane's TLS port (control/ca/secure-server.ts). */
  handlers(): AdsServiceImplementation {
    return {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => this.handleStream(call),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'delta xDS is not supported yet; use state of the world' });
      },
    };
  }

  /** The SDS resources changed (e.g. the trust bundle after a root rotation): send them where subscribed. */
  pushSecrets(): void {
    for (const conn of this.connections.values()) if (conn.state('secret')) this.sendType(conn, 'secret', false);
  }

  async stop(): Promise<void> {
    for (const c of this.connections.values()) c.end();
    const server = this.server;
    if (!server) return;
    await shutdownGrpcServer(server);
  }

  /** A new snapshot is ready: push it to every connected proxy. */
  pushAll(eventAt: number): void {
    this.encodeCache.rotate();
    const generation = ++this.generationCounter;
    const now = performance.now();
    const gen: Generation = { eventAt, pending: new Set(this.connections.values()) };
    this.generations.set(generation, gen);
    for (const conn of this.connections.values()) {
      this.queue.enqueue(conn, { eventAt, enqueuedAt: now, generation, full: true });
    }
    this.settle(generation);
  }

  private handleStream(call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    let conn: Connection | null = null;
    const close = (): void => {
      if (!conn || conn.closed) return;
      conn.closed = true;
      this.connections.delete(conn.connId);
      this.queue.remove(conn);
      for (const [g, gen] of this.generations) if (gen.pending.delete(conn)) this.settle(g);
      this.opts.log(`proxy disconnected: ${conn.proxy.id}`);
    };
    call.on('data', (req: DiscoveryRequest) => {
      try {
        if (!conn) {
          const proxy = proxyFromNode(req.node);
          const xdsHost = authorityHost(call.getHost());
          if (xdsHost) proxy.xdsHost = xdsHost;
          conn = new Connection(`${++this.connCounter}`, proxy, call);
          this.connections.set(conn.connId, conn);
          this.opts.log(`proxy connected: ${proxy.id}`);
        }
        this.onRequest(conn, req);
      } catch (err) {
        this.opts.log(`ADS request failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      }
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('error', () => close());
    call.on('cancelled', () => close());
    call.on('close', () => close());
  }

  private onRequest(conn: Connection, req: DiscoveryRequest): void {
    const type = TYPE_BY_URL.get(req.type_url);
    if (!type || (type === 'secret' && !this.opts.secrets)) return; // unknown or not served: ignore, as Envoy's servers do
    const wildcard = (type === 'cluster' || type === 'listener') && (req.resource_names ?? []).length === 0;
    const names: ReadonlySet<string> | '*' = wildcard ? '*' : new Set(req.resource_names ?? []);
    const state = conn.state(type);

    if (state && req.response_nonce) {
      if (req.response_nonce !== state.sentNonce) return; // stale: a newer response is in flight
      if (req.error_detail) {
        state.nack = req.error_detail.message ?? 'rejected';
        this.opts.metrics.rejects.labels(SHORT_TYPE[type]).inc();
        this.opts.log(`NACK ${SHORT_TYPE[type]} from ${conn.proxy.id}: ${state.nack}`);
        this.onAckOrNack(conn, type, req.response_nonce, false);
      } else {
        state.ackedVersion = req.version_info ?? null;
        state.nack = null;
        this.onAckOrNack(conn, type, req.response_nonce, true);
      }
      if (!namesEqual(state.names, names)) {
        conn.subscribe(type, names);
        this.sendType(conn, type, true);
      }
      return;
    }
    // First request for this type on this stream (or a re-subscription without nonce).
    const s = conn.subscribe(type, names);
    if (req.version_info && s.ackedVersion === null) s.ackedVersion = req.version_info;
    this.sendType(conn, type, true);
  }

  private onAckOrNack(conn: Connection, type: XdsType, nonce: string, ack: boolean): void {
    if (type === 'cluster' && conn.continuation && conn.state('cluster')?.sentNonce === nonce) {
      const req = conn.continuation;
      conn.awaiting?.nonces.delete('cluster');
      this.continuePush(conn, req);
      return;
    }
    const a = conn.awaiting;
    if (a && a.nonces.get(type) === nonce) {
      a.nonces.delete(type);
      if (a.nonces.size === 0 || !ack) {
        conn.awaiting = null;
        const gen = this.generations.get(a.generation);
        if (gen && gen.pending.delete(conn)) this.settle(a.generation);
      }
    }
    if (ack && conn.clusterCleanupPending && (type === 'route' || type === 'listener')) {
      const pendingRoutes = ['listener', 'route'].some((t) => {
        const s = conn.state(t as XdsType);
        return s && s.sentNonce !== null && s.ackedVersion !== s.sentVersion && s.nack === null;
      });
      if (!pendingRoutes) {
        conn.clusterCleanupPending = false;
        this.sendType(conn, 'cluster', false);
      }
    }
  }

  private settle(generation: number): void {
    const gen = this.generations.get(generation);
    if (!gen || gen.pending.size > 0) return;
    this.generations.delete(generation);
    this.opts.metrics.propagationTime.observe((performance.now() - gen.eventAt) / 1000);
  }

  private resourcesFor(conn: Connection): ProxyResources {
    const snap = this.opts.snapshot();
    if (!conn.translated || conn.translated.snapshotVersion !== snap.version) {
      conn.translated = { snapshotVersion: snap.version, resources: translate(snap, conn.proxy) };
    }
    return conn.translated.resources;
  }

  /** Sends one type if its content (for the subscribed names) differs from what was sent. */
  private sendType(conn: Connection, type: XdsType, force: boolean, keepStaleClusters = false): string | null {
    const state = conn.state(type);
    if (!state) return null;
    const t0 = performance.now();
    const all = type === 'secret' ? (this.opts.secrets?.() ?? new Map<string, Json>()) : this.resourcesFor(conn)[type];
    const names = state.names;
    let chosen: [string, Json][] = names === '*' ? [...all] : [...names].flatMap((n) => {
      const r = all.get(n);
      return r ? [[n, r] as [string, Json]] : [];
    });
    if (keepStaleClusters && type === 'cluster') {
      const current = new Set(chosen.map(([n]) => n));
      const stale = [...state.sentNames].filter((n) => !current.has(n));
      if (stale.length > 0) {
        const prev = conn.lastClusters;
        for (const n of stale) {
          const r = prev?.get(n);
          if (r) chosen.push([n, r]);
        }
        conn.clusterCleanupPending = true;
      }
    }
    chosen = chosen.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const typeUrl = TYPE_URL[type];
    const hash = crypto.createHash('sha256');
    const resources = chosen.map(([name, json]) => {
      const { key, bytes } = this.encodeCache.encode(typeUrl, json);
      hash.update(name).update('\0').update(key).update('\0');
      return { type_url: typeUrl, value: bytes };
    });
    const version = hash.digest('hex').slice(0, 16);
    if (!force && version === state.sentVersion) return null;
    const nonce = conn.nextNonce();
    conn.send({ version_info: version, resources, type_url: typeUrl, nonce });
    state.sentVersion = version;
    state.sentNonce = nonce;
    state.sentAt = performance.now();
    state.sentNames = new Set(chosen.map(([n]) => n));
    if (type === 'cluster') conn.lastClusters = new Map(chosen);
    this.opts.metrics.pushes.labels(SHORT_TYPE[type]).inc();
    this.opts.metrics.pushTime.labels(SHORT_TYPE[type]).observe((performance.now() - t0) / 1000);
    return nonce;
  }

  private async push(conn: Connection, req: PushRequest): Promise<void> {
    if (conn.closed) return;
    const start = performance.now();
    this.opts.metrics.proxyQueueTime.observe((start - req.enqueuedAt) / 1000);
    // An older change this proxy was still converging to is superseded by this one.
    const prev = conn.awaiting;
    if (prev && prev.generation !== req.generation) {
      const g = this.generations.get(prev.generation);
      if (g && g.pending.delete(conn)) this.settle(prev.generation);
    }
    conn.awaiting = { generation: req.generation, eventAt: req.eventAt, nonces: new Map() };
    const cdsNonce = this.sendType(conn, 'cluster', false, true);
    if (cdsNonce) {
      // New clusters first: the proxy subscribes to their endpoints while it applies CDS, and the
      // rest of the push waits for the CDS ACK so routes never point at a cluster without EDS.
      conn.awaiting.nonces.set('cluster', cdsNonce);
      conn.continuation = req;
      return;
    }
    this.continuePush(conn, req);
  }

  /** EDS, LDS, RDS of a push, after CDS (if it changed) was ACKed. */
  private continuePush(conn: Connection, req: PushRequest): void {
    conn.continuation = null;
    const a = conn.awaiting;
    for (const type of PUSH_ORDER) {
      if (type === 'cluster') continue;
      const nonce = this.sendType(conn, type, false, true);
      if (nonce && a) a.nonces.set(type, nonce);
    }
    this.opts.metrics.convergenceTime.observe((performance.now() - req.eventAt) / 1000);
    if (a && a.nonces.size === 0) {
      conn.awaiting = null;
      const gen = this.generations.get(a.generation);
      if (gen && gen.pending.delete(conn)) this.settle(a.generation);
    }
  }

  /** The resources last translated for a proxy (for /debug/config_dump). */
  configDump(proxyId: string): Record<string, Json[]> | null {
    for (const c of this.connections.values()) {
      if (c.proxy.id !== proxyId && c.proxy.metadata.NAME !== proxyId) continue;
      const r = this.resourcesFor(c);
      return {
        clusters: [...r.cluster.values()],
        endpoints: [...r.endpoint.values()],
        listeners: [...r.listener.values()],
        routes: [...r.route.values()],
      };
    }
    return null;
  }
}
