import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeDirectory, analyzeResources } from './analyze.js';
import { parseYamlText } from './parse.js';
import { dedent, testdata } from './test-helpers.js';

function summary(dir: string): string[] {
  return analyzeDirectory(dir).map((e) => `${e.severity} ${e.kind} ${e.namespace}/${e.name} ${e.path}${e.line === undefined ? '' : `@${e.line}`}: ${e.message}`);
}

test('the bookinfo sample has no findings', () => {
  assert.deepEqual(summary(testdata('bookinfo')), []);
});

test('cross-resource findings: hosts, subsets, gateways; plus what loading reports', () => {
  assert.deepEqual(summary(testdata('analyze')), [
    // From loading (VirtualService validation): weights must sum to 100.
    'error VirtualService default/bad-weights spec.http[0].route@48: expected destination weights to sum to 100, got 90 (70 + 20; a missing weight counts as 0)',
    // "mesh" and "istio-system/public" are fine; "public" means default/public.
    'warning VirtualService default/reviews spec.gateways[2]@7: Gateway default/public not found ("mesh" means the sidecars)',
    'warning VirtualService default/reviews spec.http[0].match[0].gateways[0]@11: Gateway default/nope not found ("mesh" means the sidecars)',
    'error VirtualService default/reviews spec.http[1].route[1].destination.subset@17: subset "v4" is not defined by DestinationRule default/reviews (it defines subsets v1, v2)',
    'error VirtualService shop/frontend spec.http[0].route[0].destination.subset@30: subset "v1" is not defined: no DestinationRule for host "ratings.default" (ratings.default.svc.cluster.local)',
    // api.example.com matches the "*.example.com" ServiceEntry host; httpbin.org stays external.
    'warning VirtualService shop/frontend spec.http[2].route[1].destination.host@38: host "unknown-svc" (unknown-svc.shop.svc.cluster.local) matches no ServiceEntry host, Workload service or DestinationRule host',
  ]);
});

test('analyzeResources works on parsed resources without files', () => {
  const text = dedent(`
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: orders, namespace: shop}
    spec:
      host: orders
      subsets: []
    ---
    apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: {name: orders, namespace: shop}
    spec:
      hosts: [orders]
      http:
      - route:
        - destination: {host: orders.shop.svc.cluster.local, subset: canary}
  `);
  const { resources, errors } = parseYamlText(text, 'inline.yaml');
  assert.deepEqual(errors, []);
  const found = analyzeResources(resources);
  assert.deepEqual(found, [
    {
      file: 'inline.yaml',
      document: 2,
      kind: 'VirtualService',
      name: 'orders',
      namespace: 'shop',
      path: 'spec.http[0].route[0].destination.subset',
      message: 'subset "canary" is not defined by DestinationRule shop/orders (it defines no subsets)',
      severity: 'error',
    },
  ]);
});
