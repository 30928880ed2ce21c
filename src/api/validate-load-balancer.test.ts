import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

test('consistentHash: each key source, ring hash and maglev, warmup', () => {
  const dr = parseValid('DestinationRule', withSpec('DestinationRule', `
    host: reviews
    trafficPolicy:
      loadBalancer:
        consistentHash:
          httpCookie: {name: user, path: /, ttl: 30s}
          ringHash: {minimumRingSize: 2048}
    subsets:
    - name: a
      labels: {v: a}
      trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: X-User, maglev: {tableSize: 65537}}}}
    - name: b
      labels: {v: b}
      trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true}}}
    - name: c
      labels: {v: c}
      trafficPolicy: {loadBalancer: {consistentHash: {httpQueryParameterName: u, minimumRingSize: 4096}}}
    - name: d
      labels: {v: d}
      trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, warmupDurationSecs: 60s}}
    - name: e
      labels: {v: e}
      trafficPolicy: {loadBalancer: {warmup: {duration: 5s}}}
  `));
  assert.deepEqual(dr.spec.trafficPolicy?.loadBalancer, {
    consistentHash: { key: { kind: 'cookie', name: 'user', path: '/', ttlMs: 30_000 }, ringHash: { minimumRingSize: 2048 } },
  });
  const lbs = dr.spec.subsets.map((s) => s.trafficPolicy?.loadBalancer);
  assert.deepEqual(lbs, [
    { consistentHash: { key: { kind: 'header', name: 'x-user' }, maglev: { tableSize: 65537 } } },
    { consistentHash: { key: { kind: 'sourceIp' } } },
    { consistentHash: { key: { kind: 'queryParameter', name: 'u' }, ringHash: { minimumRingSize: 4096 } } },
    { simple: 'ROUND_ROBIN', warmupMs: 60_000 },
    { warmupMs: 5_000 },
  ]);
});

test('consistentHash: errors name the field', () => {
  assertProblem(rejected('DestinationRule', `
    host: r
    trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x, useSourceIp: true}}}
  `), 'spec.trafficPolicy.loadBalancer.consistentHash', 'exactly one of');
  assertProblem(rejected('DestinationRule', `
    host: r
    trafficPolicy: {loadBalancer: {consistentHash: {}}}
  `), 'spec.trafficPolicy.loadBalancer.consistentHash', 'found 0');
  assertProblem(rejected('DestinationRule', `
    host: r
    trafficPolicy: {loadBalancer: {simple: RANDOM, consistentHash: {useSourceIp: true}}}
  `), 'spec.trafficPolicy.loadBalancer', 'only one of simple or consistentHash');
  assertProblem(rejected('DestinationRule', `
    host: r
    trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: 65536}}}}
  `), 'spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize', 'prime');
  assertProblem(rejected('DestinationRule', `
    host: r
    trafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {path: /}}}}
  `), 'spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name');
  assertProblem(rejected('DestinationRule', `
    host: r
    trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {}, maglev: {}}}}
  `), 'only one of ringHash or maglev');
  assertProblem(rejected('DestinationRule', `
    host: r
    trafficPolicy: {loadBalancer: {warmupDurationSecs: banana}}
  `), 'spec.trafficPolicy.loadBalancer.warmupDurationSecs');
});

test('warnings: deprecated minimumRingSize, warmup with consistentHash', () => {
  const r = parse(withSpec('DestinationRule', `
    host: r
    trafficPolicy: {loadBalancer: {warmupDurationSecs: 10s, consistentHash: {useSourceIp: true, minimumRingSize: 64}}}
  `));
  assert.deepEqual(r.problems, [
    'warning spec.trafficPolicy.loadBalancer.consistentHash.minimumRingSize: deprecated in Istio; use ringHash.minimumRingSize',
    'warning spec.trafficPolicy.loadBalancer.warmupDurationSecs: warmup applies to ROUND_ROBIN and LEAST_REQUEST only; ignored with this load balancer',
  ]);
});
