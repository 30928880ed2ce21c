// Graceful drain of one proxy. Once started (SIGTERM or POST /drain_listeners): readiness fails,
// every response carries `Connection: close` (the exchange asks HcmContext.draining()), idle
// keep-alive connections are closed now and at every sweep, inbound listeners keep accepting for a
// grace period (clients that have not yet seen the endpoint removal still succeed) and then stop.
// The drain is complete when no inbound connection is left, or when the timeout ends it.
// Outbound connections (the app's own calls) are drained the same way but do not hold the drain
// open, and the outbound listener keeps accepting: the app may still call out while it stops.

export interface DrainableConnection {
  /** Closes the connection if no request is in progress; true if it is (now) closed. */
  closeIfIdle(): boolean;
}

export interface DrainOptions {
  /** How long listeners keep accepting after the drain starts. */
  graceMs: number;
  /** Upper bound for the whole drain. */
  timeoutMs: number;
  /** Stops accepting on inbound listeners (called once, after graceMs). */
  stopAccepting: () => void;
  /** How often idle connections are looked for while draining. */
  sweepMs?: number;
  log?: (msg: string) => void;
}

export interface DrainStatus {
  draining: boolean;
  accepting: boolean;
  /** Open inbound connections (what the drain waits for). */
  inbound: number;
  outbound: number;
  done: boolean;
}

interface Tracked {
  conn: DrainableConnection;
  inbound: boolean;
}

export class Drainer {
  private readonly conns = new Set<Tracked>();
  private started = false;
  private accepting = true;
  private finished = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  private timeoutTimer: NodeJS.Timeout | null = null;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly opts: DrainOptions) {}

  get draining(): boolean {
    return this.started;
  }

  /** Registers a connection; the returned function must be called when it closes. */
  track(conn: DrainableConnection, inbound: boolean): () => void {
    const t: Tracked = { conn, inbound };
    this.conns.add(t);
    // Accepted during the grace period: it gets `Connection: close` on its response.
    return () => {
      this.conns.delete(t);
      this.check();
    };
  }

  status(): DrainStatus {
    let inbound = 0;
    for (const t of this.conns) if (t.inbound) inbound++;
    return { draining: this.started, accepting: this.accepting, inbound, outbound: this.conns.size - inbound, done: this.finished };
  }

  /** Starts draining (idempotent); resolves when the drain is complete or timed out. */
  drain(): Promise<void> {
    const done = new Promise<void>((r) => {
      if (this.finished) r();
      else this.waiters.push(r);
    });
    if (this.started) return done;
    this.started = true;
    this.opts.log?.(`draining: grace ${this.opts.graceMs} ms, timeout ${this.opts.timeoutMs} ms`);
    this.sweep();
    this.sweepTimer = setInterval(() => this.sweep(), this.opts.sweepMs ?? 100);
    this.graceTimer = setTimeout(() => {
      this.accepting = false;
      this.opts.stopAccepting();
      this.check();
    }, this.opts.graceMs);
    this.timeoutTimer = setTimeout(() => {
      const s = this.status();
      this.opts.log?.(`drain timeout: ${s.inbound} inbound connection(s) still open`);
      this.finish();
    }, this.opts.timeoutMs);
    return done;
  }

  /** Clears timers without waiting (process exit). */
  dispose(): void {
    this.clearTimers();
  }

  private sweep(): void {
    for (const t of [...this.conns]) {
      if (t.conn.closeIfIdle()) this.conns.delete(t);
    }
    this.check();
  }

  private check(): void {
    if (!this.started || this.finished || this.accepting) return;
    for (const t of this.conns) if (t.inbound) return;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.accepting) {
      this.accepting = false;
      this.opts.stopAccepting();
    }
    this.clearTimers();
    this.opts.log?.('drain complete');
    for (const w of this.waiters.splice(0)) w();
  }

  private clearTimers(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.timeoutTimer) clearTimeout(this.timeoutTimer);
    this.sweepTimer = this.graceTimer = this.timeoutTimer = null;
  }
}
