import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caSettings } from './flags.js';
import { identityOptions } from '../../proxy/security/flags.js';

test('control plane CA flags', () => {
  assert.deepEqual(caSettings({}), {});
  assert.deepEqual(caSettings({ 'secure-xds-address': '127.0.0.1:15012', 'workload-cert-ttl': '6', 'max-workload-cert-ttl': '3600' }), {
    secureXds: { host: '127.0.0.1', port: 15012 },
    certTtlMs: 6000,
    maxCertTtlMs: 3_600_000,
  });
  assert.deepEqual(caSettings({ 'ca-cert': 'c.pem', 'ca-key': 'k.pem', 'ca-chain': 'chain.pem' }).operator, { certFile: 'c.pem', keyFile: 'k.pem', chainFile: 'chain.pem' });
  assert.throws(() => caSettings({ 'ca-cert': 'c.pem' }), /--ca-cert and --ca-key go together/);
  assert.throws(() => caSettings({ 'ca-chain': 'x.pem' }), /--ca-chain needs/);
  assert.throws(() => caSettings({ 'workload-cert-ttl': '0' }), /positive number of seconds/);
  assert.throws(() => caSettings({ 'secure-xds-address': 'nope' }), /HOST:PORT/);
});

test('proxy identity flags: all three or none', () => {
  assert.deepEqual(identityOptions({}, {}), {});
  assert.throws(() => identityOptions({ 'ca-address': '127.0.0.1:15012' }, {}), /together/);
  assert.throws(() => identityOptions({ 'ca-address': 'a:1', 'ca-root-file': '/nonexistent/root.pem' }, { WEFT_TOKEN_FILE: '/t' }), /--ca-root-file: cannot read/);
});
