// Golden-file tests: every directory under testdata/ with an input.yaml is one case. Its config is
// parsed (any error fails), deep-frozen, built into a snapshot and translated for proxy.json's
// proxy; the result must equal expected.json and every resource must encode as Envoy proto.
// UPDATE_GOLDEN=1 rewrites expected.json instead of comparing (review the diff before keeping it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GOLDEN_COLLECTOR, assertAllEncode, checkGolden, deepFreeze, goldenCases, loadCase, snapshotOf, testdataDir, toGolden } from './golden.js';
import { translate } from './index.js';

const REQUIRED_CASES = [
  'sidecar-local-workload',
  'bookinfo-reviews',
  'vs-match-rewrite-timeout',
  'gateway-ingress',
  'service-entries',
  'destination-rule-lb',
  'cross-namespace',
  'destination-rule-resilience',
  'vs-retries-timeout',
  'vs-route-features',
  'destination-rule-consistent-hash',
  'tcp-routes',
  'tls-routes',
  'request-authn-sidecar',
  'request-authn-gateway',
  'locality-priorities',
  'locality-failover',
  'locality-retry-remote',
  'peer-authentication-mtls',
  'outbound-registry-only',
];

test('golden-case-directories-are-all-present', () => {
  const cases = goldenCases();
  for (const c of REQUIRED_CASES) assert.ok(cases.includes(c), `testdata/${c} is missing`);
});

for (const name of goldenCases()) {
  test(`golden-${name}`, () => {
    const c = loadCase(name);
    // Frozen inputs: translation (or snapshot building) writing into config throws here.
    deepFreeze(c.resources);
    deepFreeze(c.proxy);
    // Every case has the control plane as default trace collector, as a running control plane does.
    const snapshot = deepFreeze(snapshotOf(c.resources, 1, GOLDEN_COLLECTOR));
    const first = translate(snapshot, c.proxy);
    const golden = toGolden(first);
    checkGolden(testdataDir(name), golden);
    assertAllEncode(first);
    // Pure: a second translation of the same input is deep-equal.
    assert.deepStrictEqual(toGolden(translate(snapshot, c.proxy)), golden);
  });
}
