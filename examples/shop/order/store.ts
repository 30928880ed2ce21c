// Order storage shared by all replicas of the order service: one immutable JSON file per order
// in ORDER_DATA_DIR (named <id>.json). Two replicas behind one service name must agree on the
// orders and their ids, or the feed's `after=<id>` cursor would skip or repeat orders.
//
// Ids are allocated with fs.link(), which fails with EEXIST if the name is taken: write the order
// to a private temp file, then link it as <max+1>.json, trying the next id on EEXIST. An order file
// therefore appears complete and all at once, and ids have no gaps: id N exists before N+1 can.

import { randomBytes } from 'node:crypto';
import { link, mkdir, mkdtemp, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Order } from '../lib/orders.js';

const ORDER_FILE = /^(\d+)\.json$/;

export class OrderStore {
  private readonly orders = new Map<number, Order>();
  private maxId = 0;

  private constructor(readonly dir: string) {}

  /** Opens `dir` (created if missing); without one, a private temp dir (single replica only). */
  static async open(dir: string | undefined): Promise<OrderStore> {
    const resolved = dir ? path.resolve(dir) : await mkdtemp(path.join(os.tmpdir(), 'weft-shop-orders-'));
    await mkdir(resolved, { recursive: true });
    const store = new OrderStore(resolved);
    await store.refresh();
    return store;
  }

  /** Picks up orders written by other replicas. Order files never change, so each is read once. */
  async refresh(): Promise<void> {
    await this.scan();
    // A directory listing taken while another replica links a file may miss it; since ids have no
    // gaps, a gap means exactly that, and a second listing (started after the link) will see it.
    if (this.orders.size !== this.maxId) await this.scan();
  }

  private async scan(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const id = Number(ORDER_FILE.exec(name)?.[1] ?? NaN);
      if (!Number.isSafeInteger(id) || this.orders.has(id)) continue;
      const order = JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as Order;
      this.orders.set(id, order);
      this.maxId = Math.max(this.maxId, id);
    }
  }

  async create(fields: Omit<Order, 'id' | 'createdAt'>): Promise<Order> {
    await this.refresh();
    const tmp = path.join(this.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      for (let id = this.maxId + 1; ; id++) {
        const order: Order = { id, ...fields, createdAt: new Date().toISOString() };
        await writeFile(tmp, JSON.stringify(order));
        try {
          await link(tmp, path.join(this.dir, `${id}.json`));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another replica took it
          throw err;
        }
        this.orders.set(id, order);
        this.maxId = Math.max(this.maxId, id);
        return order;
      }
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Orders with id > after, oldest first, at most `limit`. */
  async list(after = 0, limit = Infinity): Promise<Order[]> {
    await this.refresh();
    const out: Order[] = [];
    for (const id of [...this.orders.keys()].sort((a, b) => a - b)) {
      if (id > after) out.push(this.orders.get(id)!);
      if (out.length >= limit) break;
    }
    return out;
  }
}
