import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

test('subsets with labels, top-level and per-subset load balancer', () => {
  const dr = parseValid('DestinationRule', withSpec('DestinationRule', `
    host: reviews.default.svc.cluster.local
    exportTo: ["*"]
    trafficPolicy:
      loadBalancer:
        simple: LEAST_REQUEST
    subsets:
    - name: v1
      labels:
        version: v1
    - name: v2
      labels:
        version: v2
      trafficPolicy:
        loadBalancer:
          simple: ROUND_ROBIN
  `));
  assert.deepEqual(dr.spec, {
    host: 'reviews.default.svc.cluster.local',
    exportTo: ['*'],
    trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
    ],
  });
});

test('host is required; subsets default to []', () => {
  assert.deepEqual(rejected('DestinationRule', 'subsets: []'), ['spec.host: required: expected a string']);
  assert.deepEqual(parseValid('DestinationRule', withSpec('DestinationRule', 'host: "*.example.com"')).spec.subsets, []);
});

test('subset names are unique DNS labels and each subset needs labels', () => {
  const problems = rejected('DestinationRule', `
    host: reviews
    subsets:
    - name: v1
      labels: {version: v1}
    - name: V_2
      labels: {version: v2}
    - name: v1
      labels: {version: v1b}
    - name: v3
  `);
  assert.deepEqual(problems, [
    'spec.subsets[1].name: expected a DNS label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), got "V_2"',
    'spec.subsets[2].name: duplicate subset name "v1" (also at spec.subsets[0].name)',
    'spec.subsets[3].labels: required: expected a map of labels',
  ]);
});

test('label keys and values follow Kubernetes rules', () => {
  const problems = rejected('DestinationRule', 'host: r\nsubsets: [{name: v1, labels: {"bad key!": x, version: "not valid!"}}]');
  assertProblem(problems, 'spec.subsets[0].labels["bad key!"]: expected a label key');
  assertProblem(problems, 'spec.subsets[0].labels.version: expected a label value', 'got "not valid!"');
});

test('loadBalancer.simple is one of the Istio values; LEAST_CONN reads as LEAST_REQUEST with a warning', () => {
  for (const lb of ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH', 'UNSPECIFIED']) {
    const dr = parseValid('DestinationRule', withSpec('DestinationRule', `host: r\ntrafficPolicy: {loadBalancer: {simple: ${lb}}}`));
    assert.equal(dr.spec.trafficPolicy?.loadBalancer?.simple, lb);
  }
  const r = parse(withSpec('DestinationRule', 'host: r\ntrafficPolicy: {loadBalancer: {simple: LEAST_CONN}}'));
  assert.deepEqual(r.problems, ['warning spec.trafficPolicy.loadBalancer.simple: LEAST_CONN is deprecated in Istio; treated as LEAST_REQUEST']);
  const dr = r.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.equal(dr.spec.trafficPolicy?.loadBalancer?.simple, 'LEAST_REQUEST');
  assert.deepEqual(rejected('DestinationRule', 'host: r\ntrafficPolicy: {loadBalancer: {simple: ROUND_ROBBIN}}'), [
    'spec.trafficPolicy.loadBalancer.simple: expected one of ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH, UNSPECIFIED, got "ROUND_ROBBIN" (did you mean "ROUND_ROBIN"?)',
  ]);
});

test('connectionPool, outlierDetection, tls and consistentHash are warned about and ignored', () => {
  const r = parse(withSpec('DestinationRule', `
    host: reviews
    trafficPolicy:
      connectionPool: {http: {http1MaxPendingRequests: 1}}
      outlierDetection: {consecutive5xxErrors: 1}
      tls: {mode: ISTIO_MUTUAL}
      loadBalancer:
        consistentHash: {httpHeaderName: x-user}
    subsets:
    - name: v1
      labels: {version: v1}
      trafficPolicy: {portLevelSettings: []}
  `));
  assert.equal(r.resources.length, 1);
  assert.deepEqual(r.problems, [
    'warning spec.trafficPolicy.connectionPool: ignored: not supported yet',
    'warning spec.trafficPolicy.outlierDetection: ignored: not supported yet',
    'warning spec.trafficPolicy.tls: ignored: not supported yet',
    'warning spec.trafficPolicy.loadBalancer.consistentHash: ignored: not supported yet',
    'warning spec.subsets[0].trafficPolicy.portLevelSettings: ignored: not supported yet',
  ]);
  const dr = r.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.deepEqual(dr.spec.trafficPolicy, { loadBalancer: {} });
});

test('typos are errors with suggestions', () => {
  assert.deepEqual(rejected('DestinationRule', 'host: r\ntrafficPolicy: {loadbalancer: {simple: RANDOM}}'), [
    'spec.trafficPolicy.loadbalancer: unknown field "loadbalancer" (did you mean "loadBalancer"?)',
  ]);
  assert.deepEqual(rejected('DestinationRule', 'host: r\nsubset: []'), ['spec.subset: unknown field "subset" (did you mean "subsets"?)']);
});
