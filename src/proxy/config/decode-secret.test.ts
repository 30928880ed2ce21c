import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSecret } from './decode-secret.js';
import { generateRoot } from '../../control/ca/roots.js';
import { rootCaSecret } from '../../control/ca/sds.js';
import { TYPE_URL } from '../../xds/protos.js';
import { decodeResources } from '../xds/decode-resources.js';
import { packAny } from '../../xds/protos.js';

test('the ROOTCA secret the control plane emits decodes, over the wire, to the same PEM roots', async () => {
  const a = await generateRoot('cluster.local');
  const b = await generateRoot('cluster.local');
  const bundle = a.certPem + b.certPem;
  const any = packAny(TYPE_URL.secret, rootCaSecret(bundle));
  const decoded = decodeResources('secret', [any]);
  assert.ok(decoded.ok);
  const s = decodeSecret(decoded.resources.get('ROOTCA')!);
  assert.equal(s.name, 'ROOTCA');
  assert.equal(s.trustedCaPem, bundle);
  // The JSON form (base64 string) and inline_string decode too.
  assert.equal(decodeSecret(rootCaSecret(bundle) as Record<string, unknown>).trustedCaPem, bundle);
  assert.equal(decodeSecret({ name: 'x', validation_context: { trusted_ca: { inline_string: a.certPem } } }).trustedCaPem, a.certPem);
});

test('anything but an inline trust bundle is NACKed with its field path', async () => {
  const root = await generateRoot('cluster.local');
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ name: 'default', tls_certificate: { certificate_chain: { inline_string: 'x' } } }, /secret default\.tls_certificate: field not supported/],
    [{ name: 'ROOTCA' }, /secret ROOTCA\.validation_context: required/],
    [{ name: 'ROOTCA', validation_context: { trusted_ca: { filename: '/etc/ca.pem' } } }, /trusted_ca\.filename: field not supported/],
    [{ name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: root.certPem }, match_subject_alt_names: [] } }, /validation_context\.match_subject_alt_names: field not supported/],
    [{ name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: 'not pem' } } }, /trusted_ca: no PEM certificates/],
    [{ name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' } } }, /trusted_ca\[0\]: not a certificate/],
  ];
  for (const [r, re] of cases) assert.throws(() => decodeSecret(r), re);
});
