// Binds one TCP server per listener. An update to a listener on the same address swaps its config
// in place (existing connections pick up new routes on their next request); a moved or removed
// listener stops accepting and lets its connections finish.
import net from 'node:net';
import type { ListenerConfig } from '../config/types.js';

export interface ListenerHandle {
  config: ListenerConfig;
  server: net.Server;
  bound: boolean;
  error: string | null;
}

export type ConnectionHandler = (socket: net.Socket, listenerName: string) => void;

export class ListenerManager {
  private readonly listeners = new Map<string, ListenerHandle>();
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly onConnection: ConnectionHandler,
    private readonly log: (msg: string) => void,
  ) {}

  get(name: string): ListenerHandle | undefined {
    return this.listeners.get(name);
  }

  all(): ListenerHandle[] {
    return [...this.listeners.values()];
  }

  update(configs: ReadonlyMap<string, ListenerConfig>): void {
    for (const [name, h] of this.listeners) {
      const next = configs.get(name);
      if (!next || next.address !== h.config.address || next.port !== h.config.port) {
        h.server.close();
        this.listeners.delete(name);
      }
    }
    for (const [name, cfg] of configs) {
      const h = this.listeners.get(name);
      if (h) {
        h.config = cfg;
        continue;
      }
      // tcp_proxy listeners keep half-closed connections open (the other direction may still flow).
      const server = net.createServer({ noDelay: true, allowHalfOpen: cfg.tcpProxy !== undefined || cfg.sniChains !== undefined }, (socket) => this.onConnection(socket, name));
      const handle: ListenerHandle = { config: cfg, server, bound: false, error: null };
      this.listeners.set(name, handle);
      this.bind(handle);
    }
  }

  private bind(h: ListenerHandle): void {
    h.server.once('error', (err: NodeJS.ErrnoException) => {
      h.error = `${err.code ?? err.message} binding ${h.config.address}:${h.config.port}`;
      this.log(`listener ${h.config.name}: ${h.error}; retrying`);
      this.scheduleRetry();
    });
    h.server.listen({ host: h.config.address, port: h.config.port, backlog: 1024 }, () => {
      h.bound = true;
      h.error = null;
    });
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      for (const h of this.listeners.values()) {
        if (!h.bound && h.error !== null) {
          h.error = null;
          h.server.removeAllListeners('error');
          this.bind(h);
        }
      }
    }, 500);
    this.retryTimer.unref();
  }

  /** True when every listener is accepting connections. */
  allBound(): boolean {
    for (const h of this.listeners.values()) if (!h.bound) return false;
    return true;
  }

  /** Stops accepting on the listeners `which` selects (a drain); their connections stay open. */
  stopAccepting(which: (config: ListenerConfig) => boolean): void {
    for (const h of this.listeners.values()) {
      if (!which(h.config)) continue;
      h.server.close();
      h.bound = false;
    }
  }

  closeAll(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const h of this.listeners.values()) h.server.close();
    this.listeners.clear();
  }
}
