// VirtualService `retries`: Istio's fields, retryOn as a comma list of conditions and status
// codes, and errors that name the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parseValid, rejected, withSpec } from './test-helpers.js';

const vs = (retries: string): string => `hosts: [a]\nhttp:\n- route: [{destination: {host: a}}]\n  retries: ${retries}`;

test('retries: attempts, perTryTimeout, retryOn (policies and status codes), retryRemoteLocalities', () => {
  const r = parseValid('VirtualService', withSpec('VirtualService', vs('{attempts: 3, perTryTimeout: 2s, retryOn: "5xx, gateway-error,503,retriable-4xx,unavailable", retryRemoteLocalities: true}')));
  assert.deepEqual(r.spec.http[0]?.retries, {
    attempts: 3,
    perTryTimeoutMs: 2000,
    retryOn: ['5xx', 'gateway-error', '503', 'retriable-4xx', 'unavailable'],
    retryRemoteLocalities: true,
  });
});

test('retries: attempts 0 is allowed (disables retries); absent attempts reads as 0', () => {
  assert.deepEqual(parseValid('VirtualService', withSpec('VirtualService', vs('{attempts: 0}'))).spec.http[0]?.retries, { attempts: 0 });
  assert.deepEqual(parseValid('VirtualService', withSpec('VirtualService', vs('{perTryTimeout: 1s}'))).spec.http[0]?.retries, { attempts: 0, perTryTimeoutMs: 1000 });
});

test('retries: bad values are errors with field paths', () => {
  assertProblem(rejected('VirtualService', vs('{attempts: -1}')), 'spec.http[0].retries.attempts:', 'integer');
  assertProblem(rejected('VirtualService', vs('{attempts: 2, perTryTimeout: 5}')), 'spec.http[0].retries.perTryTimeout:', 'duration');
  assertProblem(rejected('VirtualService', vs('{attempts: 2, retryOn: "5xx,sometimes"}')), 'spec.http[0].retries.retryOn:', 'unknown retry condition "sometimes"');
  assertProblem(rejected('VirtualService', vs('{attempts: 2, retryOn: "5xx,999"}')), 'spec.http[0].retries.retryOn:', 'status code');
  assertProblem(rejected('VirtualService', vs('{attempts: 2, retryOn: [5xx]}')), 'spec.http[0].retries.retryOn:', 'comma-separated');
  assertProblem(rejected('VirtualService', vs('{attempts: 2, retryon: 5xx}')), 'spec.http[0].retries.retryon:', 'unknown field');
});

test('retries round-trip through the manifest form (weft get, applied-config persistence)', async () => {
  const { toManifest } = await import('./manifest.js');
  const text = withSpec('VirtualService', vs('{attempts: 3, perTryTimeout: 250ms, retryOn: "5xx,503", retryRemoteLocalities: false}'));
  const first = parseValid('VirtualService', text);
  const again = parseValid('VirtualService', JSON.stringify(toManifest(first)));
  assert.deepEqual(again.spec, first.spec);
  assert.deepEqual((toManifest(first).spec as { http: { retries: unknown }[] }).http[0]?.retries, { attempts: 3, retryRemoteLocalities: false, perTryTimeout: '250ms', retryOn: '5xx,503' });
});

test('weft analyze warns about unusable retry-budget annotations (the default applies)', async () => {
  const { analyzeResources } = await import('./analyze.js');
  const { parseYamlText } = await import('./parse.js');
  const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: r
  annotations: {retry.weft.dev/budget-percent: "lots", retry.weft.dev/budget-min-retries-per-second: "5"}
spec:
  hosts: [a]
  http: [{route: [{destination: {host: a}}]}]
`;
  const { resources } = parseYamlText(text, 'inline.yaml');
  const found = analyzeResources(resources).filter((f) => f.path.startsWith('metadata'));
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.equal(found[0]?.path, 'metadata.annotations["retry.weft.dev/budget-percent"]');
  assert.equal(found[0]?.severity, 'warning');
  assert.match(found[0]?.message ?? '', /expected a number from 0 to 1000, got "lots"/);
});
