import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateAddresses, hostAddress, parseSubnet } from './addresses.js';

test('parseSubnet accepts a loopback prefix and rejects anything else', () => {
  assert.deepEqual(parseSubnet('127.0.1'), [127, 0, 1]);
  assert.throws(() => parseSubnet('127.0'), /three octets/);
  assert.throws(() => parseSubnet('127.0.1.1'), /three octets/);
  assert.throws(() => parseSubnet('127.0.x'), /three octets/);
  assert.throws(() => parseSubnet('127.0.256'), /0-255/);
  assert.throws(() => parseSubnet('10.0.1'), /loopback/);
});

test('hostAddress counts .1 to .254 then continues in the next third octet', () => {
  const s = parseSubnet('127.0.1');
  assert.equal(hostAddress(s, 1), '127.0.1.1');
  assert.equal(hostAddress(s, 254), '127.0.1.254');
  assert.equal(hostAddress(s, 255), '127.0.2.1');
  assert.equal(hostAddress(s, 508), '127.0.2.254');
  assert.equal(hostAddress(s, 509), '127.0.3.1');
  assert.throws(() => hostAddress(parseSubnet('127.0.255'), 255), /no room/);
  assert.throws(() => hostAddress(s, 0), /positive/);
});

test('allocation is sorted by namespace, workload, replica index regardless of input order', () => {
  const input = [
    { namespace: 'shop', workload: 'web', index: 1 },
    { namespace: 'backend', workload: 'zeta', index: 0 },
    { namespace: 'shop', workload: 'api', index: 0 },
    { namespace: 'shop', workload: 'web', index: 0 },
    { namespace: 'shop', workload: 'web', index: 10 },
    { namespace: 'shop', workload: 'web', index: 2 },
  ];
  const got = allocateAddresses(parseSubnet('127.0.1'), input).map(
    (i) => `${i.namespace}/${i.workload}-${i.index}=${i.address}`,
  );
  assert.deepEqual(got, [
    'backend/zeta-0=127.0.1.1',
    'shop/api-0=127.0.1.2',
    'shop/web-0=127.0.1.3',
    'shop/web-1=127.0.1.4',
    'shop/web-2=127.0.1.5',
    'shop/web-10=127.0.1.6',
  ]);
  // Same set, different order: same result.
  const again = allocateAddresses(parseSubnet('127.0.1'), [...input].reverse()).map((i) => i.address);
  assert.deepEqual(again, got.map((g) => g.split('=')[1]));
});

test('allocation crosses into the next third octet after 254 instances', () => {
  const input = Array.from({ length: 300 }, (_, index) => ({ namespace: 'ns', workload: 'w', index }));
  const got = allocateAddresses(parseSubnet('127.0.1'), input);
  assert.equal(got[253]?.address, '127.0.1.254');
  assert.equal(got[254]?.address, '127.0.2.1');
  assert.equal(got[299]?.address, '127.0.2.46');
  assert.equal(new Set(got.map((g) => g.address)).size, 300);
});

test('reserved addresses are skipped', () => {
  const got = allocateAddresses(
    parseSubnet('127.0.0'),
    [
      { namespace: 'a', workload: 'a', index: 0 },
      { namespace: 'a', workload: 'b', index: 0 },
    ],
    new Set(['127.0.0.1']),
  );
  assert.deepEqual(got.map((g) => g.address), ['127.0.0.2', '127.0.0.3']);
});
