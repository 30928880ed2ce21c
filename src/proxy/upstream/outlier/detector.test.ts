// Outlier detection with a fake clock: ejection on consecutive 5xx and gateway errors, return on
// the interval sweep after base_ejection_time × times ejected, max_ejection_percent, panic mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eligibleHosts, OutlierDetector, outlierStatus, type OutlierClock } from './detector.js';
import { Host } from '../host.js';
import type { OutlierConfig } from '../../config/cluster-policy.js';

/** A fake clock: time moves only when the test advances it, firing interval callbacks due. */
class FakeClock implements OutlierClock {
  t = 0;
  private timers: { every: number; next: number; fn: () => void; on: boolean }[] = [];
  now(): number {
    return this.t;
  }
  every(ms: number, fn: () => void): () => void {
    const timer = { every: ms, next: this.t + ms, fn, on: true };
    this.timers.push(timer);
    return () => {
      timer.on = false;
    };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.on && x.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.every;
      due.fn();
    }
    this.t = end;
  }
}

const CONFIG: OutlierConfig = {
  consecutive5xx: 3,
  consecutiveGatewayFailure: 5,
  enforcingConsecutive5xx: 100,
  enforcingConsecutiveGatewayFailure: 0,
  intervalMs: 1000,
  baseEjectionTimeMs: 10_000,
  maxEjectionTimeMs: 300_000,
  maxEjectionPercent: 100,
};

function hosts(n: number): Host[] {
  return Array.from({ length: n }, (_, i) => new Host(`127.0.0.${i + 1}`, 80, { address: `127.0.0.${i + 1}`, port: 80, weight: 1, workload: undefined, serviceAccount: undefined }));
}

function setup(cfg: Partial<OutlierConfig> = {}, n = 2) {
  const clock = new FakeClock();
  const hs = hosts(n);
  const d = new OutlierDetector({ ...CONFIG, ...cfg }, () => hs, clock);
  return { clock, hs, d };
}

test('consecutive-5xx ejects at the threshold; a success in between resets the count', () => {
  const { hs, d } = setup();
  const [a, b] = hs as [Host, Host];
  d.report(a, 500);
  d.report(a, 503);
  d.report(a, 200);
  d.report(a, 500);
  d.report(a, 500);
  assert.equal(d.isEjected(a), false);
  d.report(a, 500);
  assert.equal(d.isEjected(a), true);
  assert.equal(d.ejectedCount, 1);
  assert.deepEqual(eligibleHosts(hs, d, 0), [b]);
});

test('ejected host returns on the first sweep after base ejection time, and the time grows with each ejection', () => {
  const { clock, hs, d } = setup();
  const a = hs[0]!;
  clock.advance(300);
  for (let i = 0; i < 3; i++) d.report(a, 503);
  assert.ok(d.isEjected(a));
  clock.advance(9_699); // t = 9999: 9.699 s after ejection, sweep at 9000 too early
  assert.ok(d.isEjected(a));
  clock.advance(1001); // sweep at 10000 (9.7 s): still out; sweep at 11000 (10.7 s): returns
  assert.equal(d.isEjected(a), false);
  assert.equal(clock.now(), 11_000);
  // Second ejection right away: 2 × base.
  for (let i = 0; i < 3; i++) d.report(a, 503);
  assert.ok(d.isEjected(a));
  clock.advance(19_000);
  assert.ok(d.isEjected(a), 'still out after 19 s of a 20 s ejection');
  clock.advance(1_000);
  assert.equal(d.isEjected(a), false);
});

test('the ejection multiplier decays while the host stays healthy', () => {
  const { clock, hs, d } = setup();
  const a = hs[0]!;
  for (let i = 0; i < 3; i++) d.report(a, 500);
  clock.advance(10_000);
  assert.equal(d.isEjected(a), false);
  clock.advance(10_000); // a base ejection time in: multiplier back to 0
  for (let i = 0; i < 3; i++) d.report(a, 500);
  clock.advance(10_000);
  assert.equal(d.isEjected(a), false, 'ejected for 1 × base again');
});

test('gateway errors: 502/503/504 count, 500 resets; enforcing 0 (Envoy default) never ejects', () => {
  const off = setup({ consecutive5xx: 0, consecutiveGatewayFailure: 2 });
  off.d.report(off.hs[0]!, 503);
  off.d.report(off.hs[0]!, 503);
  assert.equal(off.d.isEjected(off.hs[0]!), false);

  const { hs, d } = setup({ consecutive5xx: 0, consecutiveGatewayFailure: 3, enforcingConsecutiveGatewayFailure: 100 });
  const a = hs[0]!;
  d.report(a, 502);
  d.report(a, 504);
  d.report(a, 500);
  d.report(a, 503);
  d.report(a, 503);
  assert.equal(d.isEjected(a), false);
  d.report(a, 503);
  assert.equal(d.isEjected(a), true);
});

test('max-ejection-percent caps ejected hosts, but one host may always be ejected', () => {
  const { hs, d } = setup({ maxEjectionPercent: 50 }, 4);
  for (const h of hs) for (let i = 0; i < 3; i++) d.report(h, 500);
  assert.equal(d.ejectedCount, 2);
  const one = setup({ maxEjectionPercent: 10 }, 2);
  for (const h of one.hs) for (let i = 0; i < 3; i++) one.d.report(h, 500);
  assert.equal(one.d.ejectedCount, 1);
});

test('panic: below the healthy threshold every host is eligible; with threshold 0 none when all are out', () => {
  const { hs, d } = setup({ maxEjectionPercent: 100 }, 2);
  for (let i = 0; i < 3; i++) d.report(hs[0]!, 500);
  assert.deepEqual(eligibleHosts(hs, d, 50), [hs[1]]); // 50% healthy is not below 50%
  assert.deepEqual(eligibleHosts(hs, d, 51), hs);
  for (let i = 0; i < 3; i++) d.report(hs[1]!, 500);
  assert.deepEqual(eligibleHosts(hs, d, 0), []);
  assert.deepEqual(eligibleHosts(hs, d, 1), hs);
});

test('local failures count as gateway errors; overflow and downstream resets are not reported', () => {
  assert.equal(outlierStatus('UF', 503, false), 503);
  assert.equal(outlierStatus('UC', 0, false), 503);
  assert.equal(outlierStatus('UT', 504, false), 504);
  assert.equal(outlierStatus('-', 500, true), 500);
  assert.equal(outlierStatus('UO', 503, false), null);
  assert.equal(outlierStatus('DC', 0, false), null);
  assert.equal(outlierStatus('UH', 503, false), null);
});

test('stop() ends the interval sweep', () => {
  const { clock, hs, d } = setup();
  for (let i = 0; i < 3; i++) d.report(hs[0]!, 500);
  d.stop();
  clock.advance(60_000);
  assert.ok(d.isEjected(hs[0]!));
});
