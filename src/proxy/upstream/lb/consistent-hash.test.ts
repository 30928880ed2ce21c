// Ring hash and maglev pickers: stickiness, weight-proportional spread and minimal disruption
// when a host leaves or joins; plus the request hash key from each kind of hash policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host } from '../host.js';
import { hash32 } from './hash.js';
import { MaglevPicker } from './maglev.js';
import type { Picker } from './picker.js';
import { pointsPerWeight, RingHashPicker } from './ring-hash.js';
import { cookieValue, requestHash } from './hash-key.js';

function host(i: number, weight = 1): Host {
  const address = `127.0.6.${i + 1}`;
  return new Host(address, 8080, { address, port: 8080, weight, workload: undefined, serviceAccount: undefined });
}

const KEYS = Array.from({ length: 20_000 }, (_, i) => hash32(`user-${i}`));

function assignment(p: Picker, hs: readonly Host[]): Map<number, string> {
  const m = new Map<number, string>();
  for (const k of KEYS) m.set(k, p.pick(hs, k)!.key);
  return m;
}

function counts(a: Map<number, string>): Map<string, number> {
  const c = new Map<string, number>();
  for (const v of a.values()) c.set(v, (c.get(v) ?? 0) + 1);
  return c;
}

const makers: [string, () => Picker][] = [
  ['ring hash', () => new RingHashPicker({ minimumRingSize: 1024, maximumRingSize: 8_388_608 })],
  ['maglev', () => new MaglevPicker(65537)],
];

for (const [name, make] of makers) {
  test(`${name}: the same key always reaches the same host, whatever the host order`, () => {
    const hs = [0, 1, 2, 3].map((i) => host(i));
    const p = make();
    const a = assignment(p, hs);
    assert.deepEqual(assignment(p, hs), a);
    assert.deepEqual(assignment(make(), [...hs].reverse()), a);
  });

  test(`${name}: keys spread across hosts in proportion to weight`, () => {
    const hs = [host(0, 1), host(1, 2), host(2, 3)];
    const c = counts(assignment(make(), hs));
    for (const [i, w] of [1, 2, 3].entries()) {
      const share = (c.get(hs[i]!.key) ?? 0) / KEYS.length;
      assert.ok(Math.abs(share - w / 6) < 0.05, `${hs[i]!.key}: share ${share.toFixed(3)}, expected ~${(w / 6).toFixed(3)}`);
    }
  });

  test(`${name}: removing one of 5 hosts moves only that host's keys (~1/5)`, () => {
    const hs = [0, 1, 2, 3, 4].map((i) => host(i));
    const p = make();
    const before = assignment(p, hs);
    const gone = hs[2]!.key;
    const after = assignment(p, hs.filter((h) => h.key !== gone));
    let moved = 0;
    let movedOther = 0;
    for (const [k, h] of before) {
      if (after.get(k) === h) continue;
      moved++;
      if (h !== gone) movedOther++;
    }
    const frac = moved / KEYS.length;
    assert.ok(frac > 0.12 && frac < 0.28, `moved ${(frac * 100).toFixed(1)}% of keys`);
    // Ring hash moves exactly the removed host's keys; maglev may shuffle a few more (< 3%).
    assert.ok(movedOther / KEYS.length < 0.03, `moved ${movedOther} keys of hosts that stayed`);
  });

  test(`${name}: adding a third host moves about a third of the keys, all to the new host`, () => {
    const hs = [0, 1, 2].map((i) => host(i));
    const p = make();
    const before = assignment(p, hs.slice(0, 2));
    const after = assignment(p, hs);
    let moved = 0;
    let movedElsewhere = 0;
    for (const [k, h] of before) {
      const now = after.get(k)!;
      if (now === h) continue;
      moved++;
      if (now !== hs[2]!.key) movedElsewhere++;
    }
    const frac = moved / KEYS.length;
    assert.ok(frac > 0.25 && frac < 0.42, `moved ${(frac * 100).toFixed(1)}%`);
    assert.ok(movedElsewhere / KEYS.length < 0.03, `${movedElsewhere} keys moved between old hosts`);
  });

  test(`${name}: no key picks at random; one host always wins`, () => {
    const hs = [0, 1, 2].map((i) => host(i));
    const seen = new Set<string>();
    const p = make();
    for (let i = 0; i < 300; i++) seen.add(p.pick(hs)!.key);
    assert.equal(seen.size, 3);
    assert.equal(p.pick([hs[0]!], 123)!.key, hs[0]!.key);
    assert.equal(p.pick([], 123), undefined);
  });
}

test('ring hash: the ring honours the minimum size with weight-proportional points', () => {
  const p = new RingHashPicker({ minimumRingSize: 4096, maximumRingSize: 8_388_608 });
  p.pick([host(0, 1), host(1, 3)], 1);
  assert.equal(p.size, 4096);
  p.pick([host(0, 1), host(1, 3), host(2, 1)], 1);
  assert.equal(p.size, 5 * 1024);
  assert.equal(pointsPerWeight(5, { minimumRingSize: 1024, maximumRingSize: 1000 }), 200);
  assert.equal(pointsPerWeight(3, { minimumRingSize: 1024, maximumRingSize: 8_388_608 }), 512);
});

test('ring hash: a host replaced by a new Host object with the same address rebuilds the ring', () => {
  const p = new RingHashPicker({ minimumRingSize: 64, maximumRingSize: 8_388_608 });
  const a = [host(0), host(1)];
  p.pick(a, 1);
  const b = [host(0), host(1)];
  for (const k of KEYS.slice(0, 200)) assert.ok(b.includes(p.pick(b, k)!));
});

// ---------------------------------------------------------------- hash keys

test('hash key: header, query parameter and source IP policies; absent value → no key', () => {
  const req = { headers: ['x-user', 'alice', 'cookie', 'a=1; session="abc"'], query: 'u=bob&x=1', remoteAddress: '127.0.0.7' };
  assert.equal(requestHash([{ kind: 'header', name: 'x-user', terminal: false }], req).key, hash32('alice'));
  assert.equal(requestHash([{ kind: 'queryParameter', name: 'u', terminal: false }], req).key, hash32('bob'));
  assert.equal(requestHash([{ kind: 'sourceIp', terminal: false }], req).key, hash32('127.0.0.7'));
  assert.equal(requestHash([{ kind: 'header', name: 'x-none', terminal: false }], req).key, undefined);
  assert.equal(requestHash([{ kind: 'cookie', name: 'session', path: undefined, ttlMs: undefined, terminal: false }], req).key, hash32('abc'));
  assert.equal(cookieValue(req.headers, 'a'), '1');
});

test('hash key: terminal stops further policies once one produced a hash', () => {
  const req = { headers: ['x-user', 'alice'], query: 'u=bob', remoteAddress: '127.0.0.7' };
  const both = requestHash([{ kind: 'header', name: 'x-user', terminal: false }, { kind: 'queryParameter', name: 'u', terminal: false }], req).key;
  const first = requestHash([{ kind: 'header', name: 'x-user', terminal: true }, { kind: 'queryParameter', name: 'u', terminal: false }], req).key;
  assert.equal(first, hash32('alice'));
  assert.notEqual(both, first);
});

test('hash key: a missing cookie with a ttl is generated, hashed on, and set on the response', () => {
  const policy = [{ kind: 'cookie' as const, name: 'session', path: '/', ttlMs: 90_000, terminal: false }];
  const r = requestHash(policy, { headers: [], query: '', remoteAddress: '127.0.0.7' });
  assert.ok(r.setCookie);
  const m = /^session="([0-9a-f]{16})"; Max-Age=90; Path=\/; HttpOnly$/.exec(r.setCookie);
  assert.ok(m, r.setCookie);
  assert.equal(r.key, hash32(m[1]!));
  // The client sends it back: same key, no new cookie.
  const again = requestHash(policy, { headers: ['cookie', `session="${m[1]!}"`], query: '', remoteAddress: '127.0.0.8' });
  assert.deepEqual(again, { key: r.key, setCookie: undefined });
  // Without a ttl nothing is generated.
  const none = requestHash([{ ...policy[0]!, ttlMs: undefined }], { headers: [], query: '', remoteAddress: '127.0.0.7' });
  assert.deepEqual(none, { key: undefined, setCookie: undefined });
});
