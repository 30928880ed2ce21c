import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorityHost, collectorAddress, parseAdvertiseAddress } from './collector.js';

test('collector address: advertised > bound specific host > port only (proxies supply the host)', () => {
  assert.deepEqual(collectorAddress({ host: '127.0.0.5', port: 15014 }), { host: '127.0.0.5', port: 15014 });
  assert.deepEqual(collectorAddress({ host: '0.0.0.0', port: 15014 }), { port: 15014 });
  assert.deepEqual(collectorAddress({ host: '::', port: 15014 }), { port: 15014 });
  assert.deepEqual(collectorAddress({ host: '[::]', port: 15014 }), { port: 15014 });
  assert.deepEqual(collectorAddress({ host: '0.0.0.0', port: 15014 }, { host: '10.0.0.7' }), { host: '10.0.0.7', port: 15014 });
  assert.deepEqual(collectorAddress({ host: '0.0.0.0', port: 15014 }, { host: 'cp.example', port: 8014 }), { host: 'cp.example', port: 8014 });
});

test('--advertise-http-address: HOST, HOST:PORT, [V6], [V6]:PORT, bare V6; nonsense refused', () => {
  assert.deepEqual(parseAdvertiseAddress('10.0.0.7'), { host: '10.0.0.7' });
  assert.deepEqual(parseAdvertiseAddress('cp.example:15014'), { host: 'cp.example', port: 15014 });
  assert.deepEqual(parseAdvertiseAddress('[fd00::1]:15014'), { host: 'fd00::1', port: 15014 });
  assert.deepEqual(parseAdvertiseAddress('[fd00::1]'), { host: 'fd00::1' });
  assert.deepEqual(parseAdvertiseAddress('fd00::1'), { host: 'fd00::1' });
  for (const bad of ['', ':15014', 'h:0', 'h:99999', 'h:x', '0.0.0.0', '[::]:1', 'a b:1']) {
    assert.throws(() => parseAdvertiseAddress(bad), /--advertise-http-address/, bad);
  }
});

test(':authority host: host part, IPv6 unbracketed, empty/unspecified → undefined', () => {
  assert.equal(authorityHost('127.0.0.1:15010'), '127.0.0.1');
  assert.equal(authorityHost('[::1]:15010'), '::1');
  assert.equal(authorityHost('istiod.istio-system.svc'), 'istiod.istio-system.svc');
  assert.equal(authorityHost(''), undefined);
  assert.equal(authorityHost(undefined), undefined);
  assert.equal(authorityHost('0.0.0.0:15010'), undefined);
});
