// Load balancer pickers over plain Host objects, with scripted or seeded randomness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../host.js';
import { LeastRequestPicker, makePicker, RandomPicker, RoundRobinPicker, type Picker } from './picker.js';

function hosts(n: number): Host[] {
  return Array.from({ length: n }, (_, i) => {
    const address = `127.0.5.${i + 1}`;
    return new Host(address, 8080, { address, port: 8080, weight: 1, workload: undefined, serviceAccount: undefined });
  });
}

/** Returns the given values in order, then fails: a test must script every draw it causes. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i++];
    assert.ok(v !== undefined, `rand() called more than the ${values.length} scripted times`);
    return v;
  };
}

/** mulberry32: a small seeded PRNG so statistical checks are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function counts(picker: Picker, hs: Host[], n: number): Map<Host, number> {
  const m = new Map<Host, number>(hs.map((h) => [h, 0]));
  for (let i = 0; i < n; i++) {
    const h = picker.pick(hs);
    assert.ok(h);
    m.set(h, (m.get(h) ?? 0) + 1);
  }
  return m;
}

// ---------------------------------------------------------------- all pickers

const ALL: [string, () => Picker][] = [
  ['round robin', () => new RoundRobinPicker()],
  ['least request', () => new LeastRequestPicker(seeded(1))],
  ['random', () => new RandomPicker(seeded(1))],
];

for (const [name, make] of ALL) {
  test(`${name}: no hosts gives undefined`, () => {
    const p = make();
    assert.equal(p.pick([]), undefined);
    assert.equal(p.pick([]), undefined);
  });

  test(`${name}: a single host is always picked`, () => {
    const p = make();
    const [h] = hosts(1);
    assert.ok(h);
    h.active = 7;
    for (let i = 0; i < 5; i++) assert.equal(p.pick([h]), h);
  });
}

test('makePicker maps each lb_policy to its picker', () => {
  assert.ok(makePicker('ROUND_ROBIN') instanceof RoundRobinPicker);
  assert.ok(makePicker('LEAST_REQUEST') instanceof LeastRequestPicker);
  assert.ok(makePicker('RANDOM') instanceof RandomPicker);
});

// ---------------------------------------------------------------- round robin

test('round robin: visits hosts in order, cycling', () => {
  const hs = hosts(3);
  const p = new RoundRobinPicker();
  const seen = Array.from({ length: 7 }, () => p.pick(hs));
  assert.deepEqual(seen, [hs[0], hs[1], hs[2], hs[0], hs[1], hs[2], hs[0]]);
});

test('round robin: spreads picks evenly', () => {
  const hs = hosts(4);
  const c = counts(new RoundRobinPicker(), hs, 4000);
  for (const h of hs) assert.equal(c.get(h), 1000);
});

test('round robin: ignores active request counts', () => {
  const hs = hosts(2);
  const [a] = hs;
  assert.ok(a);
  a.active = 100;
  const p = new RoundRobinPicker();
  assert.equal(p.pick(hs), hs[0]);
  assert.equal(p.pick(hs), hs[1]);
});

test('round robin: keeps going when the host list shrinks', () => {
  const hs = hosts(3);
  const p = new RoundRobinPicker();
  p.pick(hs);
  p.pick(hs);
  const two = hs.slice(0, 2);
  const seen = Array.from({ length: 4 }, () => p.pick(two));
  for (const h of seen) assert.ok(h && two.includes(h));
  assert.equal(new Set(seen).size, 2);
});

// ---------------------------------------------------------------- least request

test('least request: of the two sampled hosts, the one with fewer active requests wins', () => {
  const hs = hosts(4);
  const [h0, h1, h2, h3] = hs;
  assert.ok(h0 && h1 && h2 && h3);
  h0.active = 5;
  h1.active = 0;
  h2.active = 3;
  h3.active = 9;
  // Samples index floor(r * 4): 0.1 → h0, 0.3 → h1, 0.6 → h2, 0.9 → h3.
  assert.equal(new LeastRequestPicker(scripted(0.1, 0.3)).pick(hs), h1);
  assert.equal(new LeastRequestPicker(scripted(0.3, 0.1)).pick(hs), h1);
  assert.equal(new LeastRequestPicker(scripted(0.6, 0.9)).pick(hs), h2);
  assert.equal(new LeastRequestPicker(scripted(0.9, 0.6)).pick(hs), h2);
  // h1 (idle) is not sampled here, so the better of h0 and h3 wins, not the global best.
  assert.equal(new LeastRequestPicker(scripted(0.1, 0.9)).pick(hs), h0);
});

test('least request: never picks the busier of the two sampled hosts', () => {
  const hs = hosts(5);
  const load = seeded(42);
  const rand = seeded(7);
  const draws: number[] = [];
  const recording = (): number => {
    const v = rand();
    draws.push(v);
    return v;
  };
  const p = new LeastRequestPicker(recording);
  for (let i = 0; i < 10_000; i++) {
    for (const h of hs) h.active = Math.floor(load() * 4);
    draws.length = 0;
    const got = p.pick(hs);
    assert.ok(got);
    assert.equal(draws.length, 2);
    const a = hs[Math.floor(draws[0]! * hs.length)]!;
    let b = hs[Math.floor(draws[1]! * hs.length)]!;
    if (a === b) b = hs[(hs.indexOf(a) + 1) % hs.length]!;
    assert.ok(got === a || got === b, 'picked a host that was not sampled');
    assert.equal(got.active, Math.min(a.active, b.active), `picked ${got.key} (active ${got.active}) over a less busy sampled host`);
  }
});

test('least request: the same host sampled twice is compared with its neighbour', () => {
  const hs = hosts(3);
  const [h0, h1, h2] = hs;
  assert.ok(h0 && h1 && h2);
  h0.active = 4;
  h1.active = 1;
  h2.active = 2;
  assert.equal(new LeastRequestPicker(scripted(0.1, 0.2)).pick(hs), h1, 'h0 twice → compared with h1');
  assert.equal(new LeastRequestPicker(scripted(0.9, 0.95)).pick(hs), h2, 'h2 twice → compared with h0 (wraps), h2 is less busy');
});

test('least request: two hosts, the idle one always wins whatever is sampled', () => {
  const hs = hosts(2);
  const [busy, idle] = hs;
  assert.ok(busy && idle);
  busy.active = 3;
  const p = new LeastRequestPicker(seeded(3));
  for (let i = 0; i < 1000; i++) assert.equal(p.pick(hs), idle);
});

test('least request: with equal load it spreads over all hosts', () => {
  const hs = hosts(4);
  const c = counts(new LeastRequestPicker(seeded(11)), hs, 40_000);
  for (const h of hs) {
    const share = (c.get(h) ?? 0) / 40_000;
    assert.ok(Math.abs(share - 0.25) < 0.02, `${h.key}: ${share}`);
  }
});

// ---------------------------------------------------------------- random

test('random: index is floor(rand * n)', () => {
  const hs = hosts(4);
  const p = new RandomPicker(scripted(0, 0.2499, 0.25, 0.5, 0.9999));
  assert.deepEqual(
    [p.pick(hs), p.pick(hs), p.pick(hs), p.pick(hs), p.pick(hs)],
    [hs[0], hs[0], hs[1], hs[2], hs[3]],
  );
});

test('random: covers all hosts roughly uniformly over 100k seeded picks', () => {
  const hs = hosts(5);
  const n = 100_000;
  const c = counts(new RandomPicker(seeded(2024)), hs, n);
  for (const h of hs) {
    const share = (c.get(h) ?? 0) / n;
    assert.ok(Math.abs(share - 0.2) < 0.01, `${h.key}: ${share}`);
  }
});

// ---------------------------------------------------------------- endpoint weights

function weighted(weights: number[]): Host[] {
  return weights.map((w, i) => new Host(`10.0.1.${i + 1}`, 80, { address: `10.0.1.${i + 1}`, port: 80, weight: w, workload: undefined, serviceAccount: undefined }));
}

test('round robin honours endpoint weights and interleaves (smooth weighted round robin)', () => {
  const hosts = weighted([5, 1, 1]);
  const rr = new RoundRobinPicker();
  const picks = Array.from({ length: 7 }, () => rr.pick(hosts)!.address);
  assert.deepEqual(
    picks.map((a) => a.slice(-1)),
    ['1', '1', '2', '1', '3', '1', '1'],
  );
  const counts = new Map<string, number>();
  for (let i = 0; i < 700; i++) {
    const a = rr.pick(hosts)!.address;
    counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  assert.deepEqual([...counts.values()].sort((x, y) => y - x), [500, 100, 100]);
});

test('random honours endpoint weights', () => {
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const hosts = weighted([3, 1]);
  const p = new RandomPicker(rand);
  let first = 0;
  for (let i = 0; i < 40_000; i++) if (p.pick(hosts) === hosts[0]) first++;
  assert.ok(Math.abs(first / 40_000 - 0.75) < 0.01, `share ${first / 40_000}`);
});

test('least request with weights compares active requests per unit of weight', () => {
  const hosts = weighted([4, 1]);
  hosts[0]!.active = 3; // 0.75 per weight
  hosts[1]!.active = 1; // 1 per weight
  const draws = [0.1, 0.9]; // weighted draws: host 0 then host 1
  let i = 0;
  const p = new LeastRequestPicker(() => draws[i++ % 2]!);
  assert.equal(p.pick(hosts), hosts[0]);
});
