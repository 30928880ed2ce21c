// retry_policy and the weft.retry_budget route metadata: what the control plane emits decodes;
// anything else is refused with its field path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRetryBudget, decodeRetryPolicy } from './decode-retry.js';
import { ConfigRejection } from './check.js';
import { RETRY_5XX, RETRY_STATUS_CODES } from '../http/retry/policy.js';
import { retryPolicyJson } from '../../control/translate/retry.js';

const P = 'route r.route.retry_policy';

test('decodes what translation emits for Istio retries', () => {
  const json = retryPolicyJson({ attempts: 3, perTryTimeoutMs: 250, retryOn: ['5xx', '429'], retryRemoteLocalities: true })!;
  const p = decodeRetryPolicy(JSON.parse(JSON.stringify(json)), P);
  assert.equal(p.retryOn, RETRY_5XX | RETRY_STATUS_CODES);
  assert.equal(p.numRetries, 3);
  assert.equal(p.perTryTimeoutMs, 250);
  assert.deepEqual(p.retriableStatusCodes, [429]);
  assert.equal(p.previousHosts, true);
  assert.equal(p.hostSelectionMaxAttempts, 5);
  assert.equal(p.previousPriorities, true);
});

test('int64 fields may arrive as strings', () => {
  assert.equal(decodeRetryPolicy({ retry_on: '5xx', host_selection_retry_max_attempts: '7' }, P).hostSelectionMaxAttempts, 7);
});

test('rejects unknown fields, conditions and predicates with the field path', () => {
  const rejects = (v: unknown, path: string): void => {
    assert.throws(() => decodeRetryPolicy(v, P), (e: unknown) => e instanceof ConfigRejection && e.path === path);
  };
  rejects({ retry_on: '5xx', retry_back_off: { base_interval: '1s' } }, `${P}.retry_back_off`);
  rejects({ retry_on: '5xx,envoy-ratelimited' }, `${P}.retry_on`);
  rejects({ retry_on: '5xx', retry_host_predicate: [{ name: 'envoy.retry_host_predicates.omit_canary_hosts' }] }, `${P}.retry_host_predicate[0].name`);
  rejects({ retry_on: '5xx', retriable_status_codes: [42] }, `${P}.retriable_status_codes[0]`);
  rejects({ retry_on: '5xx', num_retries: -1 }, `${P}.num_retries`);
});

test('retry budget metadata: absent, other metadata, values, bad fields', () => {
  assert.equal(decodeRetryBudget(undefined, 'm'), undefined);
  assert.equal(decodeRetryBudget({ filter_metadata: { istio: { x: 1 } } }, 'm'), undefined);
  assert.deepEqual(decodeRetryBudget({ filter_metadata: { 'weft.retry_budget': { budget_percent: 50 } } }, 'm'), { budgetPercent: 50, minRetriesPerSecond: 10 });
  assert.throws(() => decodeRetryBudget({ filter_metadata: { 'weft.retry_budget': { percent: 5 } } }, 'm'), /m\.filter_metadata\["weft\.retry_budget"\]\.percent/);
});

test('attempts 0 emits no retry_policy; no retries field emits Istio defaults', () => {
  assert.equal(retryPolicyJson({ attempts: 0 }), undefined);
  const d = retryPolicyJson(undefined)!;
  assert.equal(d.retry_on, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
  assert.equal(d.num_retries, 2);
  assert.deepEqual(d.retriable_status_codes, [503]);
});
