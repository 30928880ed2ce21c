import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalOf } from './canonical.js';

test('canonical service and revision: Istio label, then app.kubernetes.io, then app/version, then workload/latest', () => {
  assert.deepEqual(canonicalOf({ 'service.istio.io/canonical-name': 'c', 'service.istio.io/canonical-revision': 'r', app: 'a', version: 'v' }, 'w'), { canonicalService: 'c', canonicalRevision: 'r' });
  assert.deepEqual(canonicalOf({ 'app.kubernetes.io/name': 'k', 'app.kubernetes.io/version': 'kv', app: 'a', version: 'v' }, 'w'), { canonicalService: 'k', canonicalRevision: 'kv' });
  assert.deepEqual(canonicalOf({ app: 'a', version: 'v' }, 'w'), { canonicalService: 'a', canonicalRevision: 'v' });
  assert.deepEqual(canonicalOf({}, 'w'), { canonicalService: 'w', canonicalRevision: 'latest' });
});
