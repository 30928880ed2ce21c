// One proxy's ADS stream: what it subscribed to, what we sent (version, nonce), what it ACKed or
// NACKed, per type. The status API reads this; nothing else mutates it but the ADS server.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { DiscoveryRequest, DiscoveryResponse } from '../../xds/ads-service.js';
import type { XdsType } from '../../xds/protos.js';
import type { ProxyModel } from '../model/proxy.js';
import type { ProxyResources } from '../translate/index.js';
import type { PushRequest } from './push-queue.js';

export const PUSH_ORDER: readonly XdsType[] = ['cluster', 'endpoint', 'listener', 'route'];

export const SHORT_TYPE: Record<XdsType, 'cds' | 'eds' | 'lds' | 'rds' | 'sds'> = {
  cluster: 'cds',
  endpoint: 'eds',
  listener: 'lds',
  route: 'rds',
  secret: 'sds',
};

export interface TypeState {
  /** Resource names asked for; '*' for wildcard (CDS/LDS). */
  names: ReadonlySet<string> | '*';
  sentVersion: string | null;
  sentNonce: string | null;
  /** Names included in the last response, to know what a stale-cluster cleanup removes. */
  sentNames: ReadonlySet<string>;
  ackedVersion: string | null;
  nack: string | null;
  /** When the last response was sent (performance.now()). */
  sentAt: number;
}

/** The change a connection is converging to: resolved when every type sent for it is ACKed. */
export interface Awaiting {
  generation: number;
  eventAt: number;
  nonces: Map<XdsType, string>;
}

export class Connection {
  readonly types = new Map<XdsType, TypeState>();
  readonly connectedAt = new Date();
  /** The latest translation for this proxy, with the snapshot version it came from. */
  translated: { snapshotVersion: number; resources: ProxyResources } | null = null;
  awaiting: Awaiting | null = null;
  /** A push waiting for the proxy to ACK its CDS before sending EDS, LDS and RDS. */
  continuation: PushRequest | null = null;
  /** The clusters last sent, so a push can keep removed ones until routes stop using them. */
  lastClusters: Map<string, Record<string, unknown>> | null = null;
  /** Clusters kept in CDS for one push so routes never point at a removed cluster. */
  clusterCleanupPending = false;
  private nonceCounter = 0;
  closed = false;

  constructor(
    readonly connId: string,
    readonly proxy: ProxyModel,
    private readonly stream: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>,
  ) {}

  state(type: XdsType): TypeState | undefined {
    return this.types.get(type);
  }

  subscribe(type: XdsType, names: ReadonlySet<string> | '*'): TypeState {
    const existing = this.types.get(type);
    if (existing) {
      existing.names = names;
      return existing;
    }
    const s: TypeState = { names, sentVersion: null, sentNonce: null, sentNames: new Set(), ackedVersion: null, nack: null, sentAt: 0 };
    this.types.set(type, s);
    return s;
  }

  nextNonce(): string {
    this.nonceCounter++;
    return `${this.connId}-${this.nonceCounter}`;
  }

  send(res: DiscoveryResponse): boolean {
    if (this.closed) return false;
    return this.stream.write(res);
  }

  end(): void {
    this.closed = true;
    try {
      this.stream.end();
    } catch {
      // already closed
    }
  }
}

export function namesEqual(a: ReadonlySet<string> | '*', b: ReadonlySet<string> | '*'): boolean {
  if (a === '*' || b === '*') return a === b;
  if (a.size !== b.size) return false;
  for (const n of a) if (!b.has(n)) return false;
  return true;
}
