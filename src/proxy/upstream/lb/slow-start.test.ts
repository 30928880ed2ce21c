// Slow start (warmupDurationSecs): a host that joins ramps from 10% to its full weight linearly
// over the window, measured on a fake clock; round robin and least request both honour it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../host.js';
import { LeastRequestPicker, RoundRobinPicker } from './picker.js';
import { slowStartWeight } from './slow-start.js';

/** A fake clock: time moves only when the test says so. */
class FakeClock {
  t = 0;
  now = (): number => this.t;
}

function host(i: number, addedAt: number): Host {
  const address = `127.0.8.${i + 1}`;
  const h = new Host(address, 8080, { address, port: 8080, weight: 1, workload: undefined, serviceAccount: undefined });
  h.addedAt = addedAt;
  return h;
}

test('warmup ramp: 10% floor, linear to full weight at the end of the window (fake clock)', () => {
  const clock = new FakeClock();
  const w = slowStartWeight(60_000, clock.now);
  clock.t = 100_000;
  const h = host(0, 100_000);
  assert.equal(w(h), 0.1);
  clock.t = 103_000; // 5%: still the floor
  assert.equal(w(h), 0.1);
  clock.t = 115_000;
  assert.equal(w(h), 0.25);
  clock.t = 130_000;
  assert.equal(w(h), 0.5);
  clock.t = 160_000;
  assert.equal(w(h), 1);
  clock.t = 999_000;
  assert.equal(w(h), 1);
});

function share(pick: () => Host, target: Host, n: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) if (pick() === target) hits++;
  return hits / n;
}

test('round robin: a new host gets a growing share as it warms up (fake clock)', () => {
  const clock = new FakeClock();
  const old = [host(0, 0), host(1, 0)];
  clock.t = 120_000; // the old hosts are long warm
  const fresh = host(2, clock.t);
  const hs = [...old, fresh];
  const p = new RoundRobinPicker(slowStartWeight(10_000, clock.now));
  // Weights 1, 1, 0.1: the new host gets 0.1/2.1 ≈ 4.8%.
  assert.ok(Math.abs(share(() => p.pick(hs)!, fresh, 2100) - 0.1 / 2.1) < 0.01);
  clock.t += 5_000; // half way: 0.5/2.5 = 20%
  assert.ok(Math.abs(share(() => p.pick(hs)!, fresh, 2500) - 0.2) < 0.01);
  clock.t += 5_000; // warm: a third
  assert.ok(Math.abs(share(() => p.pick(hs)!, fresh, 3000) - 1 / 3) < 0.01);
});

test('least request: the warming host is drawn in proportion to its ramped weight (fake clock)', () => {
  const clock = new FakeClock();
  clock.t = 50_000;
  const hs = [host(0, 0), host(1, 50_000)];
  let seed = 7;
  const rand = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 0x1_0000_0000;
  };
  const p = new LeastRequestPicker(rand, slowStartWeight(20_000, clock.now));
  // Two weighted draws (1 vs 0.1); with nothing in flight the first draw wins: P(new) = 0.1/1.1.
  const early = share(() => p.pick(hs)!, hs[1]!, 20_000);
  assert.ok(Math.abs(early - 0.1 / 1.1) < 0.01, `early share ${early}`);
  clock.t += 10_000;
  const half = share(() => p.pick(hs)!, hs[1]!, 20_000);
  assert.ok(Math.abs(half - 0.5 / 1.5) < 0.015, `half-way share ${half}`);
  clock.t += 10_000;
  const warm = share(() => p.pick(hs)!, hs[1]!, 20_000);
  assert.ok(Math.abs(warm - 0.5) < 0.015, `warm share ${warm}`);
});
