// Retry policy evaluation (Envoy's retry_on meanings), back-off bounds, the retry budget's sliding
// window, and the controller's limit/budget/replay-buffer decisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRetriable, RETRY_ON_BITS, type AttemptOutcome, type RetryPolicyConfig } from './policy.js';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, retryBackoffMs } from './backoff.js';
import { RetryBudget } from './budget.js';
import { RETRY_BUFFER_LIMIT, RetryController } from './controller.js';
import type { RouteAction } from '../../config/types.js';
import type { ClusterRuntime } from '../../upstream/cluster-manager.js';

function policy(retryOn: string, codes: number[] = [], numRetries = 2): RetryPolicyConfig {
  let bits = 0;
  for (const n of retryOn.split(',')) bits |= RETRY_ON_BITS.get(n) ?? 0;
  return { retryOn: bits, numRetries, perTryTimeoutMs: 0, retriableStatusCodes: codes, previousHosts: true, hostSelectionMaxAttempts: 5, previousPriorities: false };
}
const status = (s: number, grpc?: number): AttemptOutcome => ({ kind: 'response', status: s, grpcStatus: grpc });
const reset = (flag: 'UF' | 'UC' | 'UT' | 'UPE'): AttemptOutcome => ({ kind: 'reset', flag });

test('5xx retries every 5xx and every reset, never 4xx or success', () => {
  const p = policy('5xx');
  for (const s of [500, 501, 502, 503, 504, 599]) assert.ok(isRetriable(p, status(s)), String(s));
  for (const s of [200, 404, 409, 429]) assert.ok(!isRetriable(p, status(s)), String(s));
  for (const f of ['UF', 'UC', 'UT', 'UPE'] as const) assert.ok(isRetriable(p, reset(f)), f);
  assert.ok(!isRetriable(p, { kind: 'reset', flag: 'UO' }), 'circuit-breaker overflow is not retried');
});

test('gateway-error retries 502, 503, 504 and resets only', () => {
  const p = policy('gateway-error');
  for (const s of [502, 503, 504]) assert.ok(isRetriable(p, status(s)));
  for (const s of [500, 501, 200]) assert.ok(!isRetriable(p, status(s)));
  assert.ok(isRetriable(p, reset('UC')));
  assert.ok(isRetriable(p, reset('UT')));
});

test('connect-failure retries UF only; reset retries any reset but no status', () => {
  const cf = policy('connect-failure');
  assert.ok(isRetriable(cf, reset('UF')));
  assert.ok(!isRetriable(cf, reset('UC')));
  assert.ok(!isRetriable(cf, reset('UT')), 'a per-try timeout is not a connect failure');
  assert.ok(!isRetriable(cf, status(503)));
  const r = policy('reset');
  assert.ok(isRetriable(r, reset('UC')));
  assert.ok(isRetriable(r, reset('UF')));
  assert.ok(!isRetriable(r, status(503)));
});

test('retriable-4xx is 409; retriable-status-codes uses the list', () => {
  assert.ok(isRetriable(policy('retriable-4xx'), status(409)));
  assert.ok(!isRetriable(policy('retriable-4xx'), status(404)));
  const p = policy('retriable-status-codes', [503, 429]);
  assert.ok(isRetriable(p, status(429)));
  assert.ok(isRetriable(p, status(503)));
  assert.ok(!isRetriable(p, status(500)));
  assert.ok(!isRetriable(policy('retriable-status-codes'), status(503)), 'no codes listed');
});

test('gRPC conditions match the grpc-status of a trailers-only response', () => {
  const p = policy('cancelled,deadline-exceeded,internal,resource-exhausted,unavailable');
  for (const g of [1, 4, 13, 8, 14]) assert.ok(isRetriable(p, status(200, g)), String(g));
  for (const g of [0, 2, 3, 5, 7]) assert.ok(!isRetriable(p, status(200, g)), String(g));
  assert.ok(!isRetriable(policy('unavailable'), status(200, 1)));
  assert.ok(isRetriable(policy('unavailable'), status(200, 14)));
});

test("Istio's default policy: connect failures, 503, gRPC unavailable and cancelled; not 500 or resets", () => {
  const p = policy('connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes', [503]);
  assert.ok(isRetriable(p, reset('UF')));
  assert.ok(isRetriable(p, status(503)));
  assert.ok(isRetriable(p, status(200, 14)));
  assert.ok(!isRetriable(p, status(500)));
  assert.ok(!isRetriable(p, reset('UC')));
});

test('back-off: full jitter within [0, min(25 ms × 2^(n-1), 250 ms))', () => {
  assert.equal(BACKOFF_BASE_MS, 25);
  assert.equal(BACKOFF_MAX_MS, 250);
  const ceilings = [25, 50, 100, 200, 250, 250, 250];
  ceilings.forEach((c, i) => {
    assert.equal(retryBackoffMs(i + 1, () => 0), 0);
    assert.equal(retryBackoffMs(i + 1, () => 0.999999), c - 1);
    for (let k = 0; k < 200; k++) {
      const d = retryBackoffMs(i + 1);
      assert.ok(d >= 0 && d < c, `retry ${i + 1}: ${d}`);
    }
  });
  assert.ok(retryBackoffMs(1000, () => 0.5) <= 250, 'no overflow for huge retry counts');
});

test('budget: at least 10 retries per second even with no traffic', () => {
  let now = 0;
  const b = new RetryBudget(() => now);
  let allowed = 0;
  for (let i = 0; i < 50; i++) if (b.tryRetry()) allowed++;
  assert.equal(allowed, 10);
  now = 1100; // the window has slid past those retries
  assert.ok(b.tryRetry());
});

test('budget: 20% of the requests in the window plus 10', () => {
  let now = 0;
  const b = new RetryBudget(() => now);
  for (let i = 0; i < 1000; i++) b.recordRequest();
  let allowed = 0;
  for (let i = 0; i < 1000; i++) if (b.tryRetry()) allowed++;
  assert.equal(allowed, 210);
  // Half a second later the same requests are still in the window: nothing more.
  now = 500;
  assert.ok(!b.tryRetry());
  // After a full second everything has slid out: back to the minimum of 10.
  now = 1000;
  assert.deepEqual(b.window, { requests: 0, retries: 0 });
  let again = 0;
  for (let i = 0; i < 50; i++) if (b.tryRetry()) again++;
  assert.equal(again, 10);
});

test('budget: the window slides in 100 ms steps', () => {
  let now = 0;
  const b = new RetryBudget(() => now);
  for (let t = 0; t < 1000; t += 100) {
    now = t;
    for (let i = 0; i < 100; i++) b.recordRequest();
  }
  assert.equal(b.window.requests, 1000);
  now = 1000;
  assert.equal(b.window.requests, 900, 'the first 100 ms bucket left the window');
  now = 1550;
  assert.equal(b.window.requests, 400);
});

test('budget: configurable percent and minimum', () => {
  const now = 0;
  const b = new RetryBudget(() => now);
  for (let i = 0; i < 100; i++) b.recordRequest();
  let allowed = 0;
  for (let i = 0; i < 1000; i++) if (b.tryRetry({ budgetPercent: 50, minRetriesPerSecond: 0 })) allowed++;
  assert.equal(allowed, 50);
  let more = 0;
  for (let i = 0; i < 1000; i++) if (b.tryRetry({ budgetPercent: 50, minRetriesPerSecond: 5 })) more++;
  assert.equal(more, 5, 'the per-second minimum adds to the percentage');
});

function action(p: RetryPolicyConfig): RouteAction {
  return { clusters: [{ name: 'c', weight: 1 }], totalWeight: 1, prefixRewrite: undefined, hostRewrite: undefined, timeoutMs: 0, retry: p, retryBudget: { budgetPercent: 1000, minRetriesPerSecond: 1000 } };
}

test('controller: stops at num_retries with URX; non-retriable outcomes are not URX', () => {
  const p = policy('5xx', [], 2);
  const rc = RetryController.forRoute(action(p), `unit-limit-${Math.random()}`)!;
  assert.deepEqual(rc.decide(status(404)), { retry: false, urx: false });
  const d1 = rc.decide(status(503));
  assert.ok(d1.retry && d1.delayMs >= 0 && d1.delayMs < 25);
  const d2 = rc.decide(reset('UC'));
  assert.ok(d2.retry && d2.delayMs < 50);
  assert.deepEqual(rc.decide(status(503)), { retry: false, urx: true });
  assert.equal(rc.retryCount, 2);
});

test('controller: attempts 0 means no controller at all', () => {
  assert.equal(RetryController.forRoute(action(policy('5xx', [], 0)), 'c'), null);
});

test('controller: the budget says no with URX', () => {
  const a = { ...action(policy('5xx', [], 100)), retryBudget: { budgetPercent: 0, minRetriesPerSecond: 3 } };
  const cluster = `unit-budget-${Math.random()}`;
  let retried = 0;
  let urx = 0;
  for (let i = 0; i < 10; i++) {
    const d = RetryController.forRoute(a, cluster)!.decide(status(503));
    if (d.retry) retried++;
    else if (d.urx) urx++;
  }
  assert.equal(retried, 3);
  assert.equal(urx, 7);
});

test('controller: retries after a connect failure do not draw on the budget', () => {
  const a = { ...action(policy('connect-failure,5xx', [], 1)), retryBudget: { budgetPercent: 0, minRetriesPerSecond: 0 } };
  const cluster = `unit-budget-uf-${Math.random()}`;
  for (let i = 0; i < 20; i++) {
    const d = RetryController.forRoute(a, cluster)!.decide(reset('UF'));
    assert.ok(d.retry, 'a refused connection reached no app: retried whatever the budget');
  }
  assert.deepEqual(RetryController.forRoute(a, cluster)!.decide(status(503)), { retry: false, urx: true });
});

test('controller: replay keeps the body up to 64 KiB; beyond that, no retry (and no URX)', () => {
  const rc = RetryController.forRoute(action(policy('5xx', [], 5)), `unit-buffer-${Math.random()}`)!;
  rc.bufferBody(Buffer.alloc(1000, 1));
  rc.bufferBody(Buffer.alloc(24, 2));
  assert.equal(Buffer.concat(rc.replayBody()).length, 1024);
  assert.ok(rc.decide(status(503)).retry);
  rc.bufferBody(Buffer.alloc(RETRY_BUFFER_LIMIT, 3));
  assert.deepEqual(rc.decide(status(503)), { retry: false, urx: false });
  const big = RetryController.forRoute(action(policy('5xx', [], 5)), 'unit-buffer-2')!;
  big.disableReplay();
  assert.deepEqual(big.decide(status(503)), { retry: false, urx: false });
});

test('connectionPool maxRetries bounds the retries outstanding at once per cluster', () => {
  const cluster = { activeRetries: 0, config: { pool: { limits: { maxRetries: 1 } } } } as unknown as ClusterRuntime;
  const name = `unit-max-retries-${Math.random()}`;
  const a = RetryController.forRoute(action(policy('5xx', [], 5)), name)!;
  const b = RetryController.forRoute(action(policy('5xx', [], 5)), name)!;
  assert.equal(a.decide(status(503), cluster).retry, true, 'first request takes the only retry slot');
  assert.equal(a.decide(status(503), cluster).retry, true, 'and keeps it for its later retries');
  assert.deepEqual(b.decide(status(503), cluster), { retry: false, urx: true }, 'a second request may not retry meanwhile');
  a.release();
  assert.equal(cluster.activeRetries, 0);
  assert.equal(b.decide(status(503), cluster).retry, true, 'the slot is free again');
  b.release();
  assert.equal(cluster.activeRetries, 0);
});
