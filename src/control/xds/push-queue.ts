// One merged pending push per proxy. Enqueueing a proxy that is already waiting merges the two
// requests (earliest event time kept); a bounded number of pushes run at once.

export interface PushRequest {
  /** Earliest config-change time (performance.now()) this push carries. */
  eventAt: number;
  /** When it entered the queue (for pilot_proxy_queue_time). */
  enqueuedAt: number;
  /** Push generation, to attribute ACKs to the change that caused them. */
  generation: number;
  full: boolean;
}

export function mergePush(a: PushRequest, b: PushRequest): PushRequest {
  return {
    eventAt: Math.min(a.eventAt, b.eventAt),
    enqueuedAt: Math.min(a.enqueuedAt, b.enqueuedAt),
    generation: Math.max(a.generation, b.generation),
    full: a.full || b.full,
  };
}

export class PushQueue<K> {
  private readonly order: K[] = [];
  private readonly pending = new Map<K, PushRequest>();
  private readonly running = new Set<K>();
  private readonly rerun = new Map<K, PushRequest>();

  constructor(
    private readonly concurrency: number,
    private readonly work: (key: K, req: PushRequest) => Promise<void>,
  ) {}

  enqueue(key: K, req: PushRequest): void {
    if (this.running.has(key)) {
      const r = this.rerun.get(key);
      this.rerun.set(key, r ? mergePush(r, req) : req);
      return;
    }
    const existing = this.pending.get(key);
    if (existing) {
      this.pending.set(key, mergePush(existing, req));
      return;
    }
    this.pending.set(key, req);
    this.order.push(key);
    this.drain();
  }

  remove(key: K): void {
    this.pending.delete(key);
    this.rerun.delete(key);
    const i = this.order.indexOf(key);
    if (i >= 0) this.order.splice(i, 1);
  }

  get size(): number {
    return this.pending.size;
  }

  private drain(): void {
    while (this.running.size < this.concurrency && this.order.length > 0) {
      const key = this.order.shift() as K;
      const req = this.pending.get(key);
      this.pending.delete(key);
      if (!req) continue;
      this.running.add(key);
      void this.work(key, req)
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(key);
          const again = this.rerun.get(key);
          if (again) {
            this.rerun.delete(key);
            this.enqueue(key, again);
          }
          this.drain();
        });
    }
  }
}
