// Polls the order service's feed (GET /feed?after=<id>) through the mesh and hands new orders to
// a consumer. Survives the order service being down: logs once, keeps retrying, logs recovery.

import { log } from './http.js';
import { meshJson, serviceUrl } from './mesh-client.js';
import type { Order } from './orders.js';
import { parseOrderList } from './orders.js';

export interface FeedPollerOptions {
  /** Receives each batch of new orders, in id order. Must be idempotent by order id. */
  onOrders: (orders: Order[]) => void;
  intervalMs?: number;
}

export class FeedPoller {
  private after = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: AbortController | undefined;
  private stopped = false;
  private failing = false;
  readonly feedBase = `${serviceUrl('order')}/feed`;

  constructor(private readonly opts: FeedPollerOptions) {}

  start(): void {
    log(`polling ${this.feedBase} every ${this.opts.intervalMs ?? 1000} ms`);
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.inFlight?.abort();
  }

  /** Highest order id seen so far. */
  get cursor(): number {
    return this.after;
  }

  private async poll(): Promise<void> {
    let again = false;
    this.inFlight = new AbortController();
    try {
      const { data } = await meshJson(`${this.feedBase}?after=${this.after}`, { signal: this.inFlight.signal, timeoutMs: 3000 });
      const orders = parseOrderList(data).filter((o) => o.id > this.after);
      if (this.failing) log('order feed is reachable again');
      this.failing = false;
      if (orders.length > 0) {
        this.opts.onOrders(orders);
        this.after = Math.max(this.after, ...orders.map((o) => o.id));
        again = true; // there may be more than one page
      }
    } catch (err) {
      if (this.stopped) return;
      if (!this.failing) log(`order feed unavailable (${err instanceof Error ? err.message : String(err)}); retrying`);
      this.failing = true;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), again ? 0 : (this.opts.intervalMs ?? 1000));
  }
}
