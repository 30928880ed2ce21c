// The cluster pool's circuit breakers with fake connections: connection and pending accounting,
// FIFO service of the pending queue, overflow, cancellation, max requests per connection, idle
// timeout and max_requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ClusterPool, type AcquireCallback } from './circuit-breaker.js';
import { Host } from './host.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { NO_LIMITS, type PoolConfig } from '../config/cluster-policy.js';
import type { ProxyError } from '../errors.js';

class FakeSocket extends EventEmitter {
  timeoutMs = 0;
  keepAlive: number | null = null;
  setKeepAlive(_on: boolean, ms: number): void {
    this.keepAlive = ms;
  }
  setTimeout(ms: number): void {
    this.timeoutMs = ms;
  }
}

class FakeConn {
  readonly socket = new FakeSocket();
  uses = 0;
  closed = false;
  onRelease: ((c: UpstreamConnection, reusable: boolean) => void) | null = null;
  constructor(readonly host: Host) {}
  get canReuse(): boolean {
    return !this.closed;
  }
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.dropIdle(this as unknown as UpstreamConnection);
    queueMicrotask(() => this.socket.emit('close'));
  }
  /** What an exchange does when its response ends. */
  finish(reusable = true): void {
    this.onRelease?.(this as unknown as UpstreamConnection, reusable);
  }
}

interface Got {
  id: string;
  err: ProxyError | null;
  conn: FakeConn | null;
  reused: boolean;
}

function setup(pool: Partial<PoolConfig> = {}, limits: Partial<PoolConfig['limits']> = {}) {
  const host = new Host('127.0.0.1', 80, { address: '127.0.0.1', port: 80, weight: 1, workload: undefined, serviceAccount: undefined });
  const hosts = [host];
  const created: FakeConn[] = [];
  const overflowed: string[] = [];
  const cfg: PoolConfig = { limits: { ...NO_LIMITS, ...limits }, maxRequestsPerConnection: 0, idleTimeoutMs: 0, tcpKeepalive: null, ...pool };
  const p = new ClusterPool(
    'c1',
    cfg,
    () => hosts,
    (h, _t, onConnect) => {
      const c = new FakeConn(h);
      created.push(c);
      queueMicrotask(() => onConnect(null));
      return c as unknown as UpstreamConnection;
    },
    (name) => overflowed.push(name),
  );
  const got: Got[] = [];
  const acquire = (id: string): (() => void) => {
    const cb: AcquireCallback = (err, conn, reused) => got.push({ id, err, conn: conn as unknown as FakeConn | null, reused });
    return p.acquire(host, 1000, cb);
  };
  return { p, host, hosts, created, overflowed, got, acquire };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('max-connections-1-pending-1: one connection, one queued, the rest overflow with UO', async () => {
  const s = setup({}, { maxConnections: 1, maxPendingRequests: 1 });
  for (const id of ['a', 'b', 'c', 'd']) s.acquire(id);
  assert.equal(s.p.open, 1);
  assert.equal(s.p.pending, 1);
  assert.deepEqual(s.got.map((g) => [g.id, g.err?.flag]), [['c', 'UO'], ['d', 'UO']]);
  assert.equal(s.p.overflows, 2);
  assert.deepEqual(s.overflowed, ['c1', 'c1']);
  await tick();
  assert.deepEqual(s.got.map((g) => g.id), ['c', 'd', 'a']);
  assert.equal(s.created.length, 1);
  // a's response ends: the connection goes to b, not to the idle list.
  s.got[2]!.conn!.finish();
  await tick();
  const b = s.got[3]!;
  assert.equal(b.id, 'b');
  assert.equal(b.conn, s.created[0]);
  assert.equal(b.reused, true);
  assert.equal(s.p.pending, 0);
  assert.equal(s.host.idle.length, 0);
  assert.equal(s.created.length, 1, 'never more than one connection');
});

test('pending-queue-is-fifo as connections free up', async () => {
  const s = setup({}, { maxConnections: 1, maxPendingRequests: 10 });
  for (const id of ['a', 'b', 'c', 'd', 'e']) s.acquire(id);
  await tick();
  const order: string[] = [];
  for (let i = 0; i < 5; i++) {
    const g = s.got[s.got.length - 1]!;
    order.push(g.id);
    g.conn!.finish();
    await tick();
  }
  assert.deepEqual(order, ['a', 'b', 'c', 'd', 'e']);
  assert.equal(s.created.length, 1);
  assert.equal(s.host.idle.length, 1);
});

test('a non-reusable connection frees its slot: the head of the queue gets a new connection', async () => {
  const s = setup({}, { maxConnections: 1, maxPendingRequests: 5 });
  s.acquire('a');
  s.acquire('b');
  await tick();
  s.got[0]!.conn!.finish(false);
  await tick();
  await tick();
  assert.deepEqual(s.got.map((g) => [g.id, g.reused]), [['a', false], ['b', false]]);
  assert.equal(s.created.length, 2);
  assert.equal(s.p.open, 1);
});

test('a cancelled queued request loses its place and is never served', async () => {
  const s = setup({}, { maxConnections: 1, maxPendingRequests: 5 });
  s.acquire('a');
  const cancelB = s.acquire('b');
  s.acquire('c');
  cancelB();
  await tick();
  s.got[0]!.conn!.finish();
  await tick();
  assert.deepEqual(s.got.map((g) => g.id), ['a', 'c']);
  assert.equal(s.p.pending, 0);
});

test('max-requests-per-connection closes a connection after N requests', async () => {
  const s = setup({ maxRequestsPerConnection: 2 });
  s.acquire('a');
  await tick();
  const c = s.got[0]!.conn!;
  c.uses = 1;
  c.finish();
  assert.equal(s.host.idle.length, 1);
  s.acquire('b');
  assert.equal(s.got[1]!.conn, c);
  c.uses = 2;
  c.finish();
  assert.equal(c.closed, true);
  assert.equal(s.host.idle.length, 0);
  await tick();
  assert.equal(s.p.open, 0);
});

test('idle-timeout: an idle pooled connection closes on its socket timeout; a busy one does not', async () => {
  const s = setup({ idleTimeoutMs: 5000, tcpKeepalive: { timeMs: 7000, intervalMs: 0, probes: 0 } });
  s.acquire('a');
  await tick();
  const c = s.got[0]!.conn!;
  assert.equal(c.socket.keepAlive, 7000);
  c.finish();
  assert.equal(c.socket.timeoutMs, 5000);
  s.acquire('b'); // takes it back: the timeout is cleared
  assert.equal(c.socket.timeoutMs, 0);
  c.socket.emit('timeout');
  assert.equal(c.closed, false);
  c.finish();
  c.socket.emit('timeout');
  assert.equal(c.closed, true);
  await tick();
  assert.equal(s.p.open, 0);
});

test('max-requests: requests in flight beyond the limit overflow', () => {
  const s = setup({}, { maxRequests: 2 });
  s.host.active = 3; // the exchange counts itself before acquiring
  s.acquire('a');
  assert.equal(s.got[0]?.err?.flag, 'UO');
  s.host.active = 2;
  s.acquire('b');
  assert.equal(s.got.length, 1);
  assert.equal(s.p.open, 1);
});

test('close() fails queued requests', async () => {
  const s = setup({}, { maxConnections: 1, maxPendingRequests: 5 });
  s.acquire('a');
  s.acquire('b');
  s.p.close();
  assert.deepEqual(s.got.map((g) => [g.id, g.err?.flag]), [['b', 'UH']]);
});
