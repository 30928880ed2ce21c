// One upstream endpoint and its idle keep-alive connections.
import type { EndpointConfig } from '../config/types.js';
import type { UpstreamConnection } from './upstream-connection.js';
import type { UpstreamTls } from '../security/tls-config.js';
import type { ClusterStats } from './cluster-stats.js';

export class Host {
  /** Requests in flight (for LEAST_REQUEST). */
  active = 0;
  readonly idle: UpstreamConnection[] = [];
  /** Connections open to this host, idle or busy. */
  open = 0;
  /** When the host joined its cluster (cluster clock, ms): slow start counts from here. */
  addedAt = 0;
  /** How connections to this host are made (cluster transport for its endpoint); null: plaintext. */
  transport: UpstreamTls | null = null;
  /** Its cluster's upstream stats (connections opened to this host are counted there). */
  stats: ClusterStats | null = null;

  constructor(
    readonly address: string,
    readonly port: number,
    public endpoint: EndpointConfig,
  ) {}

  get key(): string {
    return `${this.address}:${this.port}`;
  }

  /** Removes a connection from the idle list (it closed or was taken). */
  dropIdle(c: UpstreamConnection): void {
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  closeIdle(): void {
    for (const c of this.idle.splice(0)) c.destroy();
  }
}
