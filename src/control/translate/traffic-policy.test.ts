// Traffic policy merge (Istio's MergeTrafficPolicy) and the Envoy fields it becomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTrafficPolicy, mergeTrafficPolicy, trafficPolicyFor, type Json } from './traffic-policy.js';
import type { DestinationRule, TrafficPolicy } from '../../api/types.js';

const TOP: TrafficPolicy = {
  loadBalancer: { simple: 'ROUND_ROBIN' },
  connectionPool: { tcp: { maxConnections: 10, connectTimeoutMs: 500 }, http: { http1MaxPendingRequests: 5 } },
  outlierDetection: { consecutive5xxErrors: 2, intervalMs: 1000 },
};

test('merge: a subset inherits what it leaves out and replaces what it sets, field by field (not deeper)', () => {
  assert.equal(mergeTrafficPolicy(TOP, undefined), TOP);
  const sub: TrafficPolicy = { connectionPool: { http: { http1MaxPendingRequests: 1 } } };
  assert.equal(mergeTrafficPolicy(undefined, sub), sub);
  assert.deepEqual(mergeTrafficPolicy(TOP, sub), {
    loadBalancer: { simple: 'ROUND_ROBIN' },
    // The subset's connectionPool replaces the top-level one whole: its tcp settings are gone.
    connectionPool: { http: { http1MaxPendingRequests: 1 } },
    outlierDetection: { consecutive5xxErrors: 2, intervalMs: 1000 },
  });
  const od: TrafficPolicy = { outlierDetection: { consecutiveGatewayErrors: 4 } };
  assert.deepEqual(mergeTrafficPolicy(TOP, od)?.outlierDetection, { consecutiveGatewayErrors: 4 });
  assert.deepEqual(mergeTrafficPolicy(TOP, od)?.connectionPool, TOP.connectionPool);
  // Inputs are never written to.
  assert.deepEqual(TOP.connectionPool, { tcp: { maxConnections: 10, connectTimeoutMs: 500 }, http: { http1MaxPendingRequests: 5 } });
});

test('trafficPolicyFor: the default cluster gets the top-level policy, a subset cluster the merge', () => {
  const dr = {
    kind: 'DestinationRule',
    metadata: { name: 'r', namespace: 'default' },
    spec: { host: 'r', trafficPolicy: TOP, subsets: [{ name: 'v1', labels: { v: '1' }, trafficPolicy: { connectionPool: {} } }], exportTo: [] },
  } as unknown as DestinationRule;
  assert.deepEqual(trafficPolicyFor(dr, undefined), TOP);
  assert.deepEqual(trafficPolicyFor(dr, dr.spec.subsets[0])?.connectionPool, {});
  assert.equal(trafficPolicyFor(undefined, undefined), undefined);
});

test('connectionPool: thresholds Istio leaves unset are sent as 2^32-1', () => {
  const c: Json = { connect_timeout: '10s' };
  applyTrafficPolicy(c, { connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } } });
  assert.deepEqual(c, {
    connect_timeout: '10s',
    circuit_breakers: {
      thresholds: [{ max_connections: 1, max_pending_requests: 1, max_requests: 4294967295, max_retries: 4294967295, track_remaining: true }],
    },
  });
});

test('consecutiveErrors (deprecated) counts gateway errors only, as Istio translates it', () => {
  const c: Json = {};
  applyTrafficPolicy(c, { outlierDetection: { consecutiveErrors: 7 } });
  assert.deepEqual(c, {
    outlier_detection: {
      consecutive_gateway_failure: 7,
      enforcing_consecutive_5xx: 0,
      enforcing_consecutive_gateway_failure: 100,
      enforcing_success_rate: 0,
    },
    common_lb_config: { healthy_panic_threshold: { value: 0 } },
  });
});

test('outlierDetection: explicit 0 turns a detector off; maxEjectionPercent 0 is left to the default', () => {
  const c: Json = {};
  applyTrafficPolicy(c, { outlierDetection: { consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, maxEjectionPercent: 0, minHealthPercent: 30, baseEjectionTimeMs: 1500 } });
  assert.deepEqual(c.outlier_detection, {
    consecutive_5xx: 0,
    consecutive_gateway_failure: 2,
    base_ejection_time: '1.5s',
    enforcing_consecutive_5xx: 0,
    enforcing_consecutive_gateway_failure: 100,
    enforcing_success_rate: 0,
  });
  assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 30 } });
});

test('portLevelSettings: a matching port replaces the policy whole; a subset port entry beats everything', () => {
  const dr = {
    kind: 'DestinationRule',
    metadata: { name: 'r', namespace: 'default' },
    spec: {
      host: 'r',
      trafficPolicy: { ...TOP, portLevelSettings: [{ port: { number: 8080 }, connectionPool: { tcp: { maxConnections: 1 } } }] },
      subsets: [
        { name: 'v1', labels: { v: '1' }, trafficPolicy: { outlierDetection: { consecutive5xxErrors: 9 } } },
        { name: 'v2', labels: { v: '2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' }, portLevelSettings: [{ port: { number: 80 }, outlierDetection: { consecutiveGatewayErrors: 1 } }] } },
      ],
      exportTo: [],
    },
  } as unknown as DestinationRule;
  const [v1, v2] = dr.spec.subsets as [DestinationRule['spec']['subsets'][number], DestinationRule['spec']['subsets'][number]];
  // Port 80 has no top-level port entry: the top-level policy (without its port list).
  assert.deepEqual(trafficPolicyFor(dr, undefined, 80), { loadBalancer: TOP.loadBalancer, connectionPool: TOP.connectionPool, outlierDetection: TOP.outlierDetection });
  // Port 8080: only what the port entry sets (no loadBalancer, no outlierDetection inherited).
  assert.deepEqual(trafficPolicyFor(dr, undefined, 8080), { connectionPool: { tcp: { maxConnections: 1 } } });
  // Subset v1 on 8080: the port-level top policy, then v1's outlierDetection on top.
  assert.deepEqual(trafficPolicyFor(dr, v1, 8080), { connectionPool: { tcp: { maxConnections: 1 } }, outlierDetection: { consecutive5xxErrors: 9 } });
  // Subset v2 on 80: its port entry replaces everything, even its own loadBalancer.
  assert.deepEqual(trafficPolicyFor(dr, v2, 80), { outlierDetection: { consecutiveGatewayErrors: 1 } });
  // Subset v2 on 8080: no v2 port entry; v2's loadBalancer over the top port-level policy.
  assert.deepEqual(trafficPolicyFor(dr, v2, 8080), { connectionPool: { tcp: { maxConnections: 1 } }, loadBalancer: { simple: 'RANDOM' } });
});
