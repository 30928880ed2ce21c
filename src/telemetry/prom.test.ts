import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from './prom.js';
import { parseExposition, sampleValue, findSamples } from './exposition-parser.js';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('counter renders HELP and TYPE once and one line per series, named as given', () => {
  const r = new Registry();
  const c = r.counter({ name: 'istio_requests_total', help: 'Requests.', labelNames: ['code', 'method'] });
  c.labels('200', 'GET').inc();
  c.labels('200', 'GET').inc(2);
  c.labels('503', 'POST').inc();
  const text = r.render();
  assert.equal(text.match(/^# HELP istio_requests_total /gm)?.length, 1);
  assert.equal(text.match(/^# TYPE istio_requests_total counter$/gm)?.length, 1);
  const p = parseExposition(text);
  assert.equal(p.types.get('istio_requests_total'), 'counter');
  assert.equal(p.help.get('istio_requests_total'), 'Requests.');
  assert.equal(sampleValue(p, 'istio_requests_total', { code: '200', method: 'GET' }), 3);
  assert.equal(sampleValue(p, 'istio_requests_total', { code: '503', method: 'POST' }), 1);
  assert.equal(findSamples(p, 'istio_requests_total').length, 2);
});

test('labels() returns the same cached child for the same values', () => {
  const r = new Registry();
  const c = r.counter({ name: 'a_total', help: 'h', labelNames: ['x', 'y'] });
  assert.equal(c.labels('1', '2'), c.labels('1', '2'));
  assert.equal(c.labelsFrom(['1', '2']), c.labels('1', '2'));
  assert.notEqual(c.labels('1', '2'), c.labels('12', ''));
  assert.equal(c.size, 2);
});

test('label values escape backslash, quote and newline; HELP escapes backslash and newline', () => {
  const r = new Registry();
  const g = r.gauge({ name: 'esc', help: 'line1\nback\\slash "quoted"', labelNames: ['v'] });
  const nasty = 'a\\b"c\nd';
  g.labels(nasty).set(7);
  const text = r.render();
  assert.ok(text.includes('esc{v="a\\\\b\\"c\\nd"} 7\n'), text);
  assert.ok(text.includes('# HELP esc line1\\nback\\\\slash "quoted"\n'), text);
  const p = parseExposition(text);
  assert.equal(p.help.get('esc'), 'line1\nback\\slash "quoted"');
  assert.equal(findSamples(p, 'esc')[0]?.labels['v'], nasty);
});

test('histogram buckets are cumulative with +Inf, _sum and _count', () => {
  const r = new Registry();
  const h = r.histogram({ name: 'lat_ms', help: 'h', labelNames: ['route'], buckets: [1, 5, 10] });
  const child = h.labels('r1');
  for (const v of [0.2, 1, 1.5, 5, 7, 10, 11, 1000]) child.observe(v);
  child.observe(NaN); // ignored
  const p = parseExposition(r.render());
  assert.equal(p.types.get('lat_ms'), 'histogram');
  const bucket = (le: string) => sampleValue(p, 'lat_ms_bucket', { route: 'r1', le });
  assert.equal(bucket('1'), 2); // 0.2, 1 (upper bound inclusive)
  assert.equal(bucket('5'), 4); // + 1.5, 5
  assert.equal(bucket('10'), 6); // + 7, 10
  assert.equal(bucket('+Inf'), 8);
  assert.equal(sampleValue(p, 'lat_ms_count', { route: 'r1' }), 8);
  assert.equal(sampleValue(p, 'lat_ms_sum', { route: 'r1' }), 0.2 + 1 + 1.5 + 5 + 7 + 10 + 11 + 1000);
  assert.equal(findSamples(p, 'lat_ms_bucket').length, 4);
  // le is the last label on the bucket lines
  assert.match(r.render(), /^lat_ms_bucket\{route="r1",le="\+Inf"\} 8$/m);
});

test('histogram observe lands in the right bucket for every bound (binary search)', () => {
  const r = new Registry();
  const bounds = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000];
  const h = r.histogram({ name: 'b', help: 'h', buckets: bounds });
  for (const b of bounds) {
    h.observe(b); // exactly on the bound
    h.observe(b - 0.01); // just under
  }
  h.observe(-5);
  h.observe(1e12);
  const p = parseExposition(r.render());
  let expected = 1; // -5
  for (const b of bounds) {
    expected += 2;
    assert.equal(sampleValue(p, 'b_bucket', { le: String(b) }), expected, `le=${b}`);
  }
  assert.equal(sampleValue(p, 'b_bucket', { le: '+Inf' }), expected + 1);
});

test('histogram rejects bad buckets and the le label', () => {
  const r = new Registry();
  assert.throws(() => r.histogram({ name: 'h1', help: 'h', buckets: [1, 1] }), /strictly increasing/);
  assert.throws(() => r.histogram({ name: 'h2', help: 'h', buckets: [NaN] }), /finite/);
  assert.throws(() => r.histogram({ name: 'h3', help: 'h', labelNames: ['le'], buckets: [1] }), /reserved/);
  const h = r.histogram({ name: 'h4', help: 'h', buckets: [1, 2, Infinity] });
  assert.deepEqual(h.buckets, [1, 2]);
});

test('metrics without labels are exported at zero before first use and have shortcuts', () => {
  const r = new Registry();
  const c = r.counter({ name: 'c_total', help: 'h' });
  const g = r.gauge({ name: 'g', help: 'h' });
  const h = r.histogram({ name: 'h', help: 'h', buckets: [1] });
  let p = parseExposition(r.render());
  assert.equal(sampleValue(p, 'c_total'), 0);
  assert.equal(sampleValue(p, 'g'), 0);
  assert.equal(sampleValue(p, 'h_count'), 0);
  c.inc();
  c.inc(4);
  g.set(10);
  g.dec(3);
  g.inc();
  h.observe(0.5);
  p = parseExposition(r.render());
  assert.equal(sampleValue(p, 'c_total'), 5);
  assert.equal(sampleValue(p, 'g'), 8);
  assert.equal(sampleValue(p, 'h_bucket', { le: '1' }), 1);
  assert.match(r.render(), /^c_total 5$/m);
});

test('counter rejects negative and NaN increments; wrong label count throws', () => {
  const r = new Registry();
  const c = r.counter({ name: 'c_total', help: 'h', labelNames: ['a'] });
  assert.throws(() => c.labels('x').inc(-1), RangeError);
  assert.throws(() => c.labels('x').inc(NaN), RangeError);
  assert.throws(() => c.labels(), /expected 1 label values/);
  assert.throws(() => c.labels('x', 'y'), /expected 1 label values/);
  assert.throws(() => c.inc(), /expected 1 label values/);
  assert.throws(() => c.labels('a\u0001b'), /U\+0001/);
});

test('values with the key separator cannot collide with another series', () => {
  const r = new Registry();
  const c = r.counter({ name: 'c_total', help: 'h', labelNames: ['a', 'b'] });
  c.labels('x', 'y\u0002').inc();
  assert.throws(() => c.labels('x\u0001y', ''), /U\+0001/);
  assert.throws(() => c.labels('', 'x\u0001y'), /U\+0001/);
  assert.equal(c.size, 1);
});

test('registration: same definition returns the existing metric, clashes throw', () => {
  const r = new Registry();
  const c = r.counter({ name: 'x_total', help: 'h', labelNames: ['a'] });
  assert.equal(r.counter({ name: 'x_total', help: 'other help', labelNames: ['a'] }), c);
  assert.throws(() => r.counter({ name: 'x_total', help: 'h', labelNames: ['b'] }), /already registered/);
  assert.throws(() => r.gauge({ name: 'x_total', help: 'h', labelNames: ['a'] }), /already registered/);
  const h = r.histogram({ name: 'lat', help: 'h', buckets: [1, 2] });
  assert.equal(r.histogram({ name: 'lat', help: 'h', buckets: [1, 2] }), h);
  assert.throws(() => r.histogram({ name: 'lat', help: 'h', buckets: [1, 3] }), /different buckets/);
  assert.throws(() => r.counter({ name: 'lat_count', help: 'h' }), /collides/);
  r.counter({ name: 'dur_sum', help: 'h' });
  assert.throws(() => r.histogram({ name: 'dur', help: 'h', buckets: [1] }), /collide/);
  assert.throws(() => r.counter({ name: 'bad-name', help: 'h' }), /invalid metric name/);
  assert.throws(() => r.counter({ name: 'ok', help: 'h', labelNames: ['__x'] }), /invalid label name/);
  assert.throws(() => r.counter({ name: 'ok2', help: 'h', labelNames: ['a', 'a'] }), /duplicate/);
});

test('gauge collect callback is called at render time and wins over set series', () => {
  const r = new Registry();
  let depth = 3;
  let calls = 0;
  const g = r.gauge({
    name: 'push_queue_depth',
    help: 'Pending pushes.',
    labelNames: ['type'],
    collect: () => {
      calls++;
      return [
        { labels: ['cds'], value: depth },
        { labels: ['eds'], value: depth * 2 },
        { labels: ['too', 'many'], value: 99 }, // skipped: wrong label count
      ];
    },
  });
  g.labels('lds').set(1);
  g.labels('cds').set(100); // overridden by the collected sample
  assert.equal(calls, 0);
  let p = parseExposition(r.render());
  assert.equal(calls, 1);
  assert.equal(sampleValue(p, 'push_queue_depth', { type: 'cds' }), 3);
  assert.equal(sampleValue(p, 'push_queue_depth', { type: 'eds' }), 6);
  assert.equal(sampleValue(p, 'push_queue_depth', { type: 'lds' }), 1);
  assert.equal(findSamples(p, 'push_queue_depth').length, 3);
  depth = 5;
  p = parseExposition(r.render());
  assert.equal(sampleValue(p, 'push_queue_depth', { type: 'eds' }), 10);
});

test('gauge collect without labels, and a throwing collect does not break the scrape', () => {
  const r = new Registry();
  r.gauge({ name: 'connected', help: 'h', collect: () => [{ labels: [], value: 4 }] });
  r.gauge({
    name: 'broken',
    help: 'h',
    collect: () => {
      throw new Error('boom');
    },
  });
  r.counter({ name: 'after_total', help: 'h' }).inc();
  const p = parseExposition(r.render());
  assert.equal(sampleValue(p, 'connected'), 4);
  assert.equal(findSamples(p, 'broken').length, 0);
  assert.equal(p.types.get('broken'), 'gauge');
  assert.equal(sampleValue(p, 'after_total'), 1);
});

test('expireOlderThan drops stale labelled series and notifies remove listeners', () => {
  const clock = fakeClock();
  const r = new Registry({ now: clock.now });
  const c = r.counter({ name: 'c_total', help: 'h', labelNames: ['peer'] });
  const h = r.histogram({ name: 'h', help: 'h', labelNames: ['peer'], buckets: [1] });
  const plain = r.counter({ name: 'plain_total', help: 'h' });
  const removed: string[] = [];
  const unsubscribe = c.onRemove((child) => removed.push(child.labelValues.join(',')));
  const old = c.labels('old');
  old.inc();
  h.labels('old').observe(1);
  plain.inc();
  assert.equal(r.expireOlderThan(30_000), 0); // the sweep notices the updates: stamped now
  assert.equal(old.lastUpdated, clock.now());
  clock.advance(60_000);
  c.labels('fresh').inc();
  clock.advance(1_000);

  assert.equal(r.expireOlderThan(30_000), 2); // c{old} and h{old}; c{fresh} is stamped now
  assert.deepEqual(removed, ['old']);
  assert.equal(old.removed, true);
  assert.equal(c.labels('fresh').lastUpdated, clock.now());
  const p = parseExposition(r.render());
  assert.equal(sampleValue(p, 'c_total', { peer: 'old' }), undefined);
  assert.equal(sampleValue(p, 'c_total', { peer: 'fresh' }), 1);
  assert.equal(findSamples(p, 'h_count').length, 0);
  assert.equal(sampleValue(p, 'plain_total'), 1); // unlabelled metrics never expire

  // A new child replaces the expired one and starts from zero.
  assert.notEqual(c.labels('old'), old);
  assert.equal(c.labels('old').value, 0);
  unsubscribe();
  c.remove('old');
  assert.deepEqual(removed, ['old']);
});

test('expiry never drops a series updated within the horizon, even between sweeps', () => {
  const clock = fakeClock();
  const r = new Registry({ now: clock.now });
  const g = r.gauge({ name: 'g', help: 'h', labelNames: ['k'] });
  const busy = g.labels('busy');
  const idle = g.labels('idle');
  let expired = 0;
  for (let minute = 0; minute < 10; minute++) {
    busy.set(minute);
    clock.advance(40_000);
    expired += r.expireOlderThan(60_000);
    assert.equal(busy.removed, false, `minute ${minute}`);
    clock.advance(20_000);
  }
  assert.equal(expired, 1);
  // idle was created at the start and never updated: gone once a sweep sees it older than 60 s.
  assert.equal(idle.removed, true);
  assert.equal(busy.removed, false);
  // Reading lastUpdated notices a pending update too, and is never earlier than it.
  const before = clock.now();
  busy.inc();
  clock.advance(5);
  assert.ok(busy.lastUpdated >= before);
});

test('remove(name) unregisters a metric and drops its series; clear() keeps the zero series', () => {
  const r = new Registry();
  const c = r.counter({ name: 'c_total', help: 'h', labelNames: ['a'] });
  const seen: string[] = [];
  c.onRemove((child) => seen.push(child.key));
  c.labels('1').inc();
  c.labels('2').inc();
  assert.equal(r.remove('c_total'), true);
  assert.equal(r.remove('c_total'), false);
  assert.deepEqual(seen.sort(), ['1', '2']);
  assert.equal(r.get('c_total'), undefined);
  assert.equal(r.render(), '');
  const plain = r.counter({ name: 'p_total', help: 'h' });
  plain.inc(3);
  plain.clear();
  plain.inc();
  assert.equal(sampleValue(parseExposition(r.render()), 'p_total'), 1);
});

test('rendering is in registration order, the output parses, and ends with a newline', () => {
  const r = new Registry();
  r.gauge({ name: 'z', help: 'h' });
  r.counter({ name: 'a_total', help: 'h' });
  const text = r.render();
  assert.ok(text.endsWith('\n'));
  assert.ok(text.indexOf('# HELP z') < text.indexOf('# HELP a_total'));
  const g = r.gauge({ name: 'special', help: 'h', labelNames: ['k'] });
  g.labels('inf').set(Infinity);
  g.labels('ninf').set(-Infinity);
  g.labels('nan').set(NaN);
  g.labels('small').set(1e-7);
  const p = parseExposition(r.render());
  assert.equal(sampleValue(p, 'special', { k: 'inf' }), Infinity);
  assert.equal(sampleValue(p, 'special', { k: 'ninf' }), -Infinity);
  assert.ok(Number.isNaN(sampleValue(p, 'special', { k: 'nan' })));
  assert.equal(sampleValue(p, 'special', { k: 'small' }), 1e-7);
});

test('the parser rejects malformed exposition text', () => {
  assert.throws(() => parseExposition('# TYPE a counter\n# TYPE a counter\n'), /second TYPE/);
  assert.throws(() => parseExposition('a{b="c} 1\n'), /unterminated/);
  assert.throws(() => parseExposition('a 1'), /newline/);
  assert.throws(() => parseExposition('a x\n'), /bad number/);
  assert.throws(() => parseExposition('a{b="\\q"} 1\n'), /bad escape/);
});
