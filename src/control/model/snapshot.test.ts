// Snapshot building: per-kind indexes, reuse of unchanged ones by identity, and the service index
// (Workloads + their registry WorkloadEntries, ServiceEntries).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KindName, Resource } from '../../api/types.js';
import { groupByKind, loadResources } from '../translate/golden.js';
import { buildSnapshot, emptySnapshot, type Snapshot } from './snapshot.js';
import { buildServiceIndex, endpointPort } from './services.js';

const REVIEWS = 'reviews.default.svc.cluster.local';

const BASE = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: reviews-v1, labels: {app: reviews, version: v1}}
spec:
  service: reviews
  ports:
  - {name: http, containerPort: 19080, servicePort: 9080}
  command: [node, reviews.js]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: reviews-v2, labels: {app: reviews, version: v2}}
spec:
  service: reviews
  ports:
  - {name: http, containerPort: 29080, servicePort: 9080}
  - {name: grpc, containerPort: 29090, servicePort: 9090}
  command: [node, reviews.js]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1-0}
spec:
  address: 127.0.3.1
  ports: {http: 9080}
  labels: {app: reviews, version: v1, weft.dev/workload: reviews-v1}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v2-0}
spec:
  address: 127.0.3.2
  ports: {http: 9080, grpc: 9090}
  labels: {app: reviews, version: v2, weft.dev/workload: reviews-v2}
  serviceAccount: reviews
  weight: 2
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-unlabelled}
spec:
  address: 127.0.3.3
  labels: {app: reviews, version: v1}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ratings-0}
spec:
  address: 127.0.3.4
  labels: {app: ratings, weft.dev/workload: ratings-v1}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1-0, namespace: other}
spec:
  address: 127.0.3.5
  labels: {app: reviews, weft.dev/workload: reviews-v1}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v1}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`;

function byKind(yaml: string): Map<KindName, Resource[]> {
  return groupByKind(loadResources(yaml, 'snapshot.yaml'));
}

/** A copy of `prev`'s inputs with one kind replaced by the resources in `yaml`. */
function withKind(base: ReadonlyMap<KindName, readonly Resource[]>, kind: KindName, yaml: string): Map<KindName, readonly Resource[]> {
  const next = new Map<KindName, readonly Resource[]>(base);
  next.set(kind, loadResources(yaml, 'change.yaml').filter((r) => r.kind === kind));
  return next;
}

function indexes(s: Snapshot): Record<string, unknown> {
  return { services: s.services, destinationRules: s.destinationRules, virtualServices: s.virtualServices, gateways: s.gateways, workloads: s.workloads };
}

function assertSame(prev: Snapshot, next: Snapshot, same: string[], rebuilt: string[]): void {
  const a = indexes(prev);
  const b = indexes(next);
  for (const k of same) assert.equal(b[k], a[k], `${k} should be reused by identity`);
  for (const k of rebuilt) assert.notEqual(b[k], a[k], `${k} should be rebuilt`);
  assert.deepEqual([...same, ...rebuilt].sort(), Object.keys(a).sort(), 'every index is accounted for');
}

const VS_V2 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v2}}]
`;

test('snapshot-is-frozen-and-carries-its-version-and-inputs', () => {
  const input = byKind(BASE);
  const s = buildSnapshot(3, input);
  assert.equal(s.version, 3);
  assert.equal(s.byKind, input);
  assert.ok(Object.isFrozen(s));
  assert.deepEqual([...s.workloads.keys()], ['default/reviews-v1', 'default/reviews-v2']);
  assert.deepEqual(s.gateways.map((g) => g.metadata.name), ['gw']);
});

test('empty-snapshot-has-empty-indexes', () => {
  const s = emptySnapshot();
  assert.equal(s.version, 0);
  assert.equal(s.services.size + s.destinationRules.size + s.workloads.size + s.virtualServices.length + s.gateways.length, 0);
});

test('changing-only-a-virtual-service-reuses-every-other-index-by-identity', () => {
  const input = byKind(BASE);
  const prev = buildSnapshot(1, input);
  const next = buildSnapshot(2, withKind(input, 'VirtualService', VS_V2), prev, new Set(['VirtualService']));
  assertSame(prev, next, ['services', 'destinationRules', 'gateways', 'workloads'], ['virtualServices']);
  assert.equal(next.virtualServices[0]?.spec.http[0]?.route[0]?.destination.subset, 'v2');
  assert.equal(next.version, 2);
});

test('changing-a-destination-rule-rebuilds-only-that-index', () => {
  const input = byKind(BASE);
  const prev = buildSnapshot(1, input);
  const changed = withKind(input, 'DestinationRule', `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`);
  const next = buildSnapshot(2, changed, prev, new Set(['DestinationRule']));
  assertSame(prev, next, ['services', 'virtualServices', 'gateways', 'workloads'], ['destinationRules']);
  assert.deepEqual(next.destinationRules.get(REVIEWS)?.spec.subsets.map((s) => s.name), ['v1', 'v2']);
  assert.deepEqual(prev.destinationRules.get(REVIEWS)?.spec.subsets.map((s) => s.name), ['v1'], 'the previous snapshot is untouched');
});

test('changing-a-workload-entry-rebuilds-the-service-index-only', () => {
  const input = byKind(BASE);
  const prev = buildSnapshot(1, input);
  const entries = [...(input.get('WorkloadEntry') ?? [])].filter((r) => r.metadata.name !== 'reviews-v2-0');
  const next = buildSnapshot(2, new Map(input).set('WorkloadEntry', entries), prev, new Set(['WorkloadEntry']));
  assertSame(prev, next, ['destinationRules', 'virtualServices', 'gateways', 'workloads'], ['services']);
  assert.deepEqual(next.services.get(REVIEWS)?.endpoints.map((e) => e.address), ['127.0.3.1']);
});

test('changing-a-workload-rebuilds-services-and-workloads', () => {
  const input = byKind(BASE);
  const prev = buildSnapshot(1, input);
  const next = buildSnapshot(2, input, prev, new Set(['Workload']));
  assertSame(prev, next, ['destinationRules', 'virtualServices', 'gateways'], ['services', 'workloads']);
});

test('changing-a-gateway-rebuilds-only-gateways', () => {
  const input = byKind(BASE);
  const prev = buildSnapshot(1, input);
  const next = buildSnapshot(2, new Map(input).set('Gateway', []), prev, new Set(['Gateway']));
  assertSame(prev, next, ['services', 'destinationRules', 'virtualServices', 'workloads'], ['gateways']);
  assert.equal(next.gateways.length, 0);
});

test('an-empty-change-set-reuses-everything', () => {
  const input = byKind(BASE);
  const prev = buildSnapshot(1, input);
  const next = buildSnapshot(2, input, prev, new Set());
  assertSame(prev, next, ['services', 'destinationRules', 'virtualServices', 'gateways', 'workloads'], []);
});

test('without-a-change-set-every-index-is-rebuilt', () => {
  const input = byKind(BASE);
  const prev = buildSnapshot(1, input);
  const next = buildSnapshot(2, input, prev);
  assertSame(prev, next, [], ['services', 'destinationRules', 'virtualServices', 'gateways', 'workloads']);
  assert.deepEqual([...next.services.keys()], [...prev.services.keys()]);
});

test('first-destination-rule-by-namespace-and-name-wins-for-a-host', () => {
  const yaml = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: z-reviews}
spec: {host: reviews, trafficPolicy: {loadBalancer: {simple: RANDOM}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: b-reviews}
spec: {host: reviews.default.svc.cluster.local, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a-reviews, namespace: zzz}
spec: {host: reviews.default, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: shop}
spec: {host: ratings}
`;
  const resources = loadResources(yaml);
  for (const order of [resources, [...resources].reverse()]) {
    const s = buildSnapshot(1, groupByKind(order));
    // "default/b-reviews" < "default/z-reviews" < "zzz/a-reviews"; the short, two-label and FQDN hosts are one host.
    assert.equal(s.destinationRules.get(REVIEWS)?.metadata.name, 'b-reviews');
    assert.equal(s.destinationRules.get('ratings.shop.svc.cluster.local')?.metadata.name, 'ratings', 'short hosts resolve in the rule\'s namespace');
    assert.deepEqual([...s.destinationRules.keys()].sort(), ['ratings.shop.svc.cluster.local', REVIEWS]);
  }
});

test('virtual-services-and-gateways-are-sorted-by-namespace-and-name', () => {
  const vs = (ns: string, name: string): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${name}]
  http: [{route: [{destination: {host: ${name}}}]}]
`;
  const s = buildSnapshot(1, byKind([vs('shop', 'b'), vs('default', 'z'), vs('shop', 'a')].join('---\n')));
  assert.deepEqual(s.virtualServices.map((v) => `${v.metadata.namespace}/${v.metadata.name}`), ['default/z', 'shop/a', 'shop/b']);
});

test('service-index-merges-ports-of-workloads-sharing-a-service', () => {
  const s = buildSnapshot(1, byKind(BASE));
  const svc = s.services.get(REVIEWS);
  assert.ok(svc);
  assert.deepEqual(svc.ports, [
    { number: 9080, protocol: 'HTTP', name: 'http', targetPort: 19080 },
    { number: 9090, protocol: 'GRPC', name: 'grpc', targetPort: 29090 },
  ], 'sorted by number; for a port both declare, the first Workload seen wins (reviews-v1 targetPort 19080)');
  assert.equal(svc.name, 'reviews');
  assert.equal(svc.namespace, 'default');
  assert.equal(svc.location, 'MESH_INTERNAL');
  assert.equal(svc.resolution, 'STATIC');
  assert.equal(svc.origin, 'Workload/default/reviews-v1');
});

test('workload-entries-join-a-workload-service-by-the-weft-workload-label', () => {
  const s = buildSnapshot(1, byKind(BASE));
  const eps = s.services.get(REVIEWS)?.endpoints ?? [];
  // Not the entry without the label, not ratings', not the one in another namespace.
  assert.deepEqual(eps.map((e) => `${e.namespace}/${e.address}/${e.workload}`), ['default/127.0.3.1/reviews-v1', 'default/127.0.3.2/reviews-v2']);
  const v2 = eps[1];
  assert.ok(v2);
  assert.equal(v2.serviceAccount, 'reviews');
  assert.equal(v2.weight, 2);
  assert.equal(eps[0]?.serviceAccount, 'default');
  assert.equal(eps[0]?.weight, 1);
  const grpc = s.services.get(REVIEWS)?.ports.find((p) => p.name === 'grpc');
  assert.ok(grpc);
  assert.equal(endpointPort(v2, grpc), 9090);
});

test('workload-entries-only-join-workloads-of-their-own-namespace', () => {
  const yaml = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: cart, namespace: shop}
spec:
  service: cart
  ports: [{name: http, containerPort: 8080, servicePort: 80}]
  command: [node, cart.js]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: cart-0, namespace: shop}
spec: {address: 127.0.8.1, labels: {weft.dev/workload: cart}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: cart-0}
spec: {address: 127.0.8.2, labels: {weft.dev/workload: cart}}
`;
  const s = buildSnapshot(1, byKind(yaml));
  assert.deepEqual([...s.services.keys()], ['cart.shop.svc.cluster.local']);
  assert.deepEqual(s.services.get('cart.shop.svc.cluster.local')?.endpoints.map((e) => e.address), ['127.0.8.1']);
});

test('service-entry-wins-over-a-workload-for-the-same-host-by-origin-name', () => {
  const yaml = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: reviews-v1}
spec:
  service: reviews
  ports: [{name: http, containerPort: 19080, servicePort: 9080}]
  command: [node]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews-external}
spec:
  hosts: [reviews.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 10.1.1.1}]
`;
  const index = buildServiceIndex(loadResources(yaml));
  assert.equal(index.get(REVIEWS)?.origin, 'ServiceEntry/default/reviews-external');
  assert.deepEqual(index.get(REVIEWS)?.ports.map((p) => p.number), [80]);
});

test('service-entry-hosts-each-become-a-service-with-shared-endpoints', () => {
  const yaml = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: apis, namespace: shop}
spec:
  hosts: [api.example.com, payments, "*.corp.example.com"]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 443, name: https, protocol: HTTPS}]
  endpoints: [{address: 10.2.2.2, labels: {zone: a}}]
`;
  const index = buildServiceIndex(loadResources(yaml));
  assert.deepEqual([...index.keys()].sort(), ['*.corp.example.com', 'api.example.com', 'payments.shop.svc.cluster.local']);
  const payments = index.get('payments.shop.svc.cluster.local');
  assert.equal(payments?.name, 'payments');
  assert.equal(payments?.namespace, 'shop');
  assert.equal(index.get('api.example.com')?.name, 'api.example.com', 'a non-cluster host is its own name');
  assert.equal(index.get('api.example.com')?.namespace, 'shop');
  for (const svc of index.values()) assert.deepEqual(svc.endpoints.map((e) => e.address), ['10.2.2.2']);
});

test('dns-service-entry-without-endpoints-resolves-its-own-host', () => {
  const yaml = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin}
spec:
  hosts: [httpbin.org]
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
`;
  const svc = buildServiceIndex(loadResources(yaml)).get('httpbin.org');
  assert.equal(svc?.location, 'MESH_EXTERNAL');
  assert.deepEqual(svc?.endpoints.map((e) => e.address), ['httpbin.org']);
});

test('service-entry-workload-selector-picks-entries-by-labels-in-its-namespace', () => {
  const yaml = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy}
spec:
  hosts: [legacy.corp.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: legacy}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-1}
spec: {address: 10.0.0.11, labels: {app: legacy, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-2}
spec: {address: 10.0.0.12, labels: {app: other}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-3, namespace: elsewhere}
spec: {address: 10.0.0.13, labels: {app: legacy}}
`;
  const svc = buildServiceIndex(loadResources(yaml)).get('legacy.corp.internal');
  assert.deepEqual(svc?.endpoints.map((e) => [e.address, e.workload]), [['10.0.0.11', 'vm-1']]);
});

test(
  'service-index-does-not-depend-on-the-order-resources-arrive-in',
  () => {
    const resources = loadResources(BASE);
    const forward = buildServiceIndex(resources);
    const backward = buildServiceIndex([...resources].reverse());
    assert.deepStrictEqual([...backward], [...forward]);
  },
);
