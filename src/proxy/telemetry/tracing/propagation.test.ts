import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childOf, outgoingHeaderLines, parseB3Multi, parseB3Single, parseTraceparent, readIncoming } from './propagation.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

test('traceparent: valid, sampled flag, and the malformed cases ignored', () => {
  assert.deepEqual(parseTraceparent(`00-${T}-${S}-01`), { traceId: T, parentSpanId: S, sampled: true });
  assert.deepEqual(parseTraceparent(`00-${T}-${S}-00`), { traceId: T, parentSpanId: S, sampled: false });
  // a future version may append fields; version 00 may not
  assert.equal(parseTraceparent(`01-${T}-${S}-01-extra`)?.traceId, T);
  for (const bad of [
    `00-${T}-${S}-01-extra`, `ff-${T}-${S}-01`, `00-${'0'.repeat(32)}-${S}-01`, `00-${T}-${'0'.repeat(16)}-01`,
    `00-${T.toUpperCase()}-${S}-01`, `00-${T.slice(1)}-${S}-01`, `00-${T}-${S}-1`, `00-${T}-${S}`, '', 'garbage', `0x-${T}-${S}-01`,
  ]) assert.equal(parseTraceparent(bad), null, bad);
});

test('b3 single: full, sampling-only, 64-bit trace id padded, malformed ignored', () => {
  assert.deepEqual(parseB3Single(`${T}-${S}-1-${'1'.repeat(16)}`), { traceId: T, parentSpanId: S, sampled: true });
  assert.deepEqual(parseB3Single(`${T}-${S}`), { traceId: T, parentSpanId: S });
  assert.deepEqual(parseB3Single(`${T}-${S}-d`), { traceId: T, parentSpanId: S, sampled: true });
  assert.deepEqual(parseB3Single('0'), { sampled: false });
  assert.deepEqual(parseB3Single('d'), { sampled: true });
  assert.equal(parseB3Single(`${S}-${S}-0`)?.traceId, `${'0'.repeat(16)}${S}`);
  for (const bad of ['x', `${T}-${S}-2`, `${T}-zz`, `${T}-${S}-1-nothex`, `${T}-${S}-1-${S}-more`]) assert.equal(parseB3Single(bad), null, bad);
});

test('b3 multi: ids and sampled; flags=1 (debug) samples; sampled without ids is a decision only', () => {
  const h = (m: Record<string, string>) => (n: string) => m[n];
  assert.deepEqual(parseB3Multi(h({ 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '0' })), { traceId: T, parentSpanId: S, sampled: false });
  assert.deepEqual(parseB3Multi(h({ 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1' })), { traceId: T, parentSpanId: S, sampled: true });
  assert.deepEqual(parseB3Multi(h({ 'x-b3-sampled': 'true' })), { sampled: true });
  assert.deepEqual(parseB3Multi(h({ 'x-b3-traceid': 'nope', 'x-b3-spanid': S, 'x-b3-sampled': '0' })), { sampled: false });
  assert.equal(parseB3Multi(h({})), null);
});

test('readIncoming: traceparent wins over b3 over x-b3-*; tracestate kept with traceparent only', () => {
  const other = 'a'.repeat(32);
  const both = ['traceparent', `00-${T}-${S}-01`, 'tracestate', 'k=v', 'b3', `${other}-${S}-0`, 'x-b3-traceid', other, 'x-b3-spanid', S];
  assert.deepEqual(readIncoming(both), { traceId: T, parentSpanId: S, sampled: true, tracestate: 'k=v' });
  assert.equal(readIncoming(both.slice(4)).traceId, other);
  assert.equal(readIncoming(both.slice(4)).sampled, false);
  // a malformed traceparent falls back to B3
  assert.equal(readIncoming(['traceparent', 'junk', 'x-b3-traceid', other, 'x-b3-spanid', S]).traceId, other);
  assert.deepEqual(readIncoming(['content-type', 'text/plain']), {});
});

test('childOf / outgoing headers: same trace, parent = caller span, fresh span id; a root when nothing came in', () => {
  const c = childOf({ traceId: T, parentSpanId: S, sampled: true, tracestate: 'k=v' }, true);
  assert.equal(c.traceId, T);
  assert.equal(c.parentSpanId, S);
  assert.match(c.spanId, /^[0-9a-f]{16}$/);
  assert.notEqual(c.spanId, S);
  const lines = outgoingHeaderLines(c);
  assert.match(lines, new RegExp(`^traceparent: 00-${T}-${c.spanId}-01\r\n`));
  assert.match(lines, /tracestate: k=v\r\n/);
  assert.match(lines, new RegExp(`x-b3-spanid: ${c.spanId}\r\nx-b3-parentspanid: ${S}\r\nx-b3-sampled: 1\r\n$`));
  // parsing our own output gives our span as the next hop's parent
  const next = readIncoming(lines.trim().split('\r\n').flatMap((l) => { const i = l.indexOf(': '); return [l.slice(0, i), l.slice(i + 2)]; }));
  assert.deepEqual(next, { traceId: T, parentSpanId: c.spanId, sampled: true, tracestate: 'k=v' });

  const root = childOf({}, false);
  assert.match(root.traceId, /^[0-9a-f]{32}$/);
  assert.equal(root.parentSpanId, undefined);
  assert.match(outgoingHeaderLines(root), /-00\r\n[\s\S]*x-b3-sampled: 0\r\n$/);
  assert.doesNotMatch(outgoingHeaderLines(root), /parentspanid/);
});

test('traceparent: the fixed-layout fast path agrees with the general parser on mutated inputs', () => {
  // The general rule, written plainly (split and regular expressions), as the reference.
  const reference = (v: string): ReturnType<typeof parseTraceparent> => {
    const parts = v.trim().split('-');
    if (parts.length < 4) return null;
    const [ver, tid, pid, flags] = parts as [string, string, string, string];
    if (!/^[0-9a-f]{2}$/.test(ver) || ver === 'ff' || (ver === '00' && parts.length !== 4) || !/^[0-9a-f]{2}$/.test(flags)) return null;
    if (!/^[0-9a-f]{32}$/.test(tid) || /^0+$/.test(tid) || !/^[0-9a-f]{16}$/.test(pid) || /^0+$/.test(pid)) return null;
    return { traceId: tid, parentSpanId: pid, sampled: (parseInt(flags, 16) & 1) === 1 };
  };
  const base = `00-${T}-${S}-01`;
  const alphabet = '0123456789abcdefABCDEF-xz \t';
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 5000; i++) {
    const chars = base.split('');
    for (let k = 0, m = 1 + rnd(2); k < m; k++) chars[rnd(chars.length)] = alphabet[rnd(alphabet.length)]!;
    const v = chars.join('');
    assert.deepEqual(parseTraceparent(v), reference(v), v);
  }
  for (const v of [`00-${'0'.repeat(32)}-${S}-01`, `00-${T}-${'0'.repeat(16)}-ff`, ` 00-${T}-${S}-01`, `00-${T}-${S}-0F`]) assert.deepEqual(parseTraceparent(v), reference(v), v);
});
