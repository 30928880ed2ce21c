import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_PEER_METADATA_HEADER,
  PeerMetadataCache,
  decodePeerMetadata,
  encodePeerMetadata,
} from './peer-metadata.js';
import type { PeerMetadata } from '../xds/node-metadata.js';
import { seededRandom } from '../testing/prng.js';

const shipping: PeerMetadata = {
  workload: 'shipping-v1',
  namespace: 'shop',
  app: 'shipping',
  version: 'v1',
  serviceAccount: 'shipping',
  principal: 'spiffe://cluster.local/ns/shop/sa/shipping',
  cluster: 'local',
};

const b64 = (json: string) => Buffer.from(json, 'utf8').toString('base64url');


test('round trip, deterministic and header-safe', () => {
  const s = encodePeerMetadata(shipping);
  assert.match(s, /^[A-Za-z0-9_-]+$/);
  assert.equal(encodePeerMetadata({ ...shipping }), s);
  // Key order in the input object does not change the encoding.
  const reordered = Object.fromEntries(Object.entries(shipping).reverse()) as unknown as PeerMetadata;
  assert.equal(encodePeerMetadata(reordered), s);
  assert.deepEqual(decodePeerMetadata(s), shipping);
  // The payload is compact JSON.
  assert.ok(!Buffer.from(s, 'base64url').toString('utf8').includes(' '));
});

test('round trip with empty strings, unicode and maximum lengths', () => {
  const m: PeerMetadata = {
    workload: 'w'.repeat(256),
    namespace: '',
    app: 'café-☕-𝄞',
    version: '"quoted" \\ back',
    serviceAccount: '',
    principal: '',
    cluster: 'x'.repeat(256),
  };
  assert.deepEqual(decodePeerMetadata(encodePeerMetadata(m)), m);
});

test('decode keeps only the known fields and ignores extra ones', () => {
  const extra = b64(JSON.stringify({ ...shipping, future: 'field' }).replace(/^\{/, '{"__proto__":{"workload":1},'));
  const m = decodePeerMetadata(extra);
  assert.deepEqual(m, shipping);
  assert.deepEqual(Object.keys(m ?? {}).sort(), Object.keys(shipping).sort());
});

test('decode rejects values that are not exactly a PeerMetadata', () => {
  const bad: Array<[string, string]> = [
    ['empty', ''],
    ['not base64url', '!!!!'],
    ['standard base64 chars', b64(JSON.stringify(shipping)).replace(/-/g, '+') + '+/=='],
    ['impossible length', 'AAAAA'],
    ['not json', b64('{workload:')],
    ['json array', b64('[]')],
    ['json null', b64('null')],
    ['json string', b64('"x"')],
    ['missing field', b64(JSON.stringify({ ...shipping, cluster: undefined }))],
    ['number field', b64(JSON.stringify({ ...shipping, version: 1 }))],
    ['null field', b64(JSON.stringify({ ...shipping, app: null }))],
    ['object field', b64(JSON.stringify({ ...shipping, app: {} }))],
    ['field too long', b64(JSON.stringify({ ...shipping, workload: 'w'.repeat(257) }))],
    ['control character', b64(JSON.stringify({ ...shipping, workload: 'a\nb' }))],
    ['separator character', b64(JSON.stringify({ ...shipping, workload: 'a\u0001b' }))],
    ['lone surrogate', b64(JSON.stringify({ ...shipping, workload: 'a\ud800b' }))],
    ['invalid utf-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')],
    ['too long header', b64(JSON.stringify({ ...shipping, pad: 'p'.repeat(4000) }))],
  ];
  for (const [why, value] of bad) assert.equal(decodePeerMetadata(value), null, why);
  assert.equal(decodePeerMetadata(undefined as unknown as string), null);
  assert.equal(decodePeerMetadata(42 as unknown as string), null);
});

test('encode refuses metadata a peer would reject', () => {
  assert.throws(() => encodePeerMetadata({ ...shipping, workload: 'w'.repeat(257) }), RangeError);
  assert.throws(() => encodePeerMetadata({ ...shipping, app: 'a\nb' }), RangeError);
  assert.throws(() => encodePeerMetadata({ ...shipping, app: undefined as unknown as string }), RangeError);
  // Seven maximal fields of 3-byte characters exceed the 4 KiB header limit.
  const wide = 'あ'.repeat(256);
  const big: PeerMetadata = {
    workload: wide,
    namespace: wide,
    app: wide,
    version: wide,
    serviceAccount: wide,
    principal: wide,
    cluster: wide,
  };
  assert.throws(() => encodePeerMetadata(big), /over 4096/);
});

test('fuzz: decode never throws on random input and only accepts well-formed metadata', () => {
  const rand = seededRandom(0xc0ffee);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const valid = encodePeerMetadata(shipping);
  const pick = (n: number) => Math.floor(rand() * n);
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    let s: string;
    switch (i % 5) {
      case 0: {
        // random base64url text
        const len = pick(200);
        s = '';
        for (let j = 0; j < len; j++) s += alphabet[pick(alphabet.length)];
        break;
      }
      case 1: {
        // random bytes, base64url-encoded
        const bytes = Buffer.alloc(pick(300));
        for (let j = 0; j < bytes.length; j++) bytes[j] = pick(256);
        s = bytes.toString('base64url');
        break;
      }
      case 2: {
        // a valid header with a few characters flipped, dropped or appended
        const chars = valid.split('');
        for (let k = 0, n = 1 + pick(3); k < n; k++) {
          const at = pick(chars.length);
          const op = pick(3);
          if (op === 0) chars[at] = alphabet[pick(alphabet.length)] ?? 'A';
          else if (op === 1) chars.splice(at, 1);
          else chars.splice(at, 0, alphabet[pick(alphabet.length)] ?? 'A');
        }
        s = chars.join('');
        break;
      }
      case 3: {
        // JSON with random types per field
        const o: Record<string, unknown> = {};
        for (const f of Object.keys(shipping)) {
          const kind = pick(6);
          o[f] =
            kind === 0 ? pick(1000) : kind === 1 ? null : kind === 2 ? ['x'] : kind === 3 ? 'x'.repeat(pick(300)) : 'ok';
        }
        s = b64(JSON.stringify(o));
        break;
      }
      default: {
        // arbitrary UTF-16 garbage, including characters outside any alphabet
        const len = pick(100);
        s = '';
        for (let j = 0; j < len; j++) s += String.fromCharCode(pick(0x10000));
      }
    }
    let m: PeerMetadata | null = null;
    assert.doesNotThrow(() => {
      m = decodePeerMetadata(s);
    }, `input ${JSON.stringify(s)}`);
    if (m !== null) {
      accepted++;
      const got: PeerMetadata = m;
      for (const v of Object.values(got)) assert.ok(typeof v === 'string' && v.length <= 256);
      // Anything accepted re-encodes and decodes to the same value.
      assert.deepEqual(decodePeerMetadata(encodePeerMetadata(got)), got);
    }
  }
  // Some case-3 inputs are valid (every field 'ok' or a short string); the fuzz reaches both outcomes.
  assert.ok(accepted > 0);
  assert.ok(accepted < 5000);
});

test('PeerMetadataCache returns one frozen shared object per header and stays bounded', () => {
  const cache = new PeerMetadataCache(2);
  const s = encodePeerMetadata(shipping);
  const a = cache.decode(s);
  assert.deepEqual(a, shipping);
  assert.equal(cache.decode(s), a);
  assert.ok(Object.isFrozen(a));
  assert.equal(cache.decode('garbage!'), null);
  assert.equal(cache.size, 1);
  cache.decode(encodePeerMetadata({ ...shipping, version: 'v2' }));
  cache.decode(encodePeerMetadata({ ...shipping, version: 'v3' }));
  assert.equal(cache.size, 2);
  assert.notEqual(cache.decode(s), a); // evicted, decoded afresh
  assert.ok(MAX_PEER_METADATA_HEADER === 4096);
});

test('canonical service/revision travel when set and are optional on decode', () => {
  const withCanon = { ...shipping, canonicalService: 'ship', canonicalRevision: 'r2' };
  assert.deepEqual(decodePeerMetadata(encodePeerMetadata(withCanon)), withCanon);
  assert.deepEqual(decodePeerMetadata(encodePeerMetadata(shipping)), shipping);
  const bad = Buffer.from(JSON.stringify({ ...shipping, canonicalService: 7 })).toString('base64url');
  assert.equal(decodePeerMetadata(bad), null);
});
