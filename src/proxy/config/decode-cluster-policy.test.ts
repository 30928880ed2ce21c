// Decoding the CDS fields of connectionPool and outlierDetection; anything else is NACKed by path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCluster } from './decode-cluster.js';
import { ConfigRejection } from './check.js';
import { NO_LIMITS } from './cluster-policy.js';

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function cluster(extra: Record<string, unknown>): Record<string, unknown> {
  return { name: 'c', type: 'STATIC', ...extra };
}

function rejects(c: Record<string, unknown>, path: string): void {
  assert.throws(() => decodeCluster(c), (e: unknown) => e instanceof ConfigRejection && e.path === path, `expected a rejection at ${path}`);
}

test('decodes everything translation emits', () => {
  const c = decodeCluster(
    cluster({
      circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 2, max_requests: 3, max_retries: 4, track_remaining: true }] },
      typed_extension_protocol_options: {
        [HPO]: { '@type': `type.googleapis.com/${HPO}`, common_http_protocol_options: { idle_timeout: '30s', max_requests_per_connection: 5 }, explicit_http_config: { http_protocol_options: {} } },
      },
      upstream_connection_options: { tcp_keepalive: { keepalive_probes: 9, keepalive_time: 7200, keepalive_interval: 75 } },
      outlier_detection: { consecutive_5xx: 3, interval: '1s', base_ejection_time: '30s', max_ejection_percent: 50, enforcing_consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 0, enforcing_success_rate: 0 },
      common_lb_config: { healthy_panic_threshold: { value: 20 } },
    }),
  );
  assert.deepEqual(c.pool, {
    limits: { maxConnections: 1, maxPendingRequests: 2, maxRequests: 3, maxRetries: 4 },
    maxRequestsPerConnection: 5,
    idleTimeoutMs: 30_000,
    tcpKeepalive: { probes: 9, timeMs: 7_200_000, intervalMs: 75_000 },
  });
  assert.deepEqual(c.outlierDetection, {
    consecutive5xx: 3,
    consecutiveGatewayFailure: 5,
    enforcingConsecutive5xx: 100,
    enforcingConsecutiveGatewayFailure: 0,
    intervalMs: 1000,
    baseEjectionTimeMs: 30_000,
    maxEjectionTimeMs: 300_000,
    maxEjectionPercent: 50,
  });
  assert.equal(c.healthyPanicThreshold, 20);
});

test('defaults: no limits without circuit_breakers, Envoy defaults for thresholds left out, panic at 50%', () => {
  const plain = decodeCluster(cluster({}));
  assert.deepEqual(plain.pool.limits, NO_LIMITS);
  assert.equal(plain.outlierDetection, null);
  assert.equal(plain.healthyPanicThreshold, 50);
  const partial = decodeCluster(cluster({ circuit_breakers: { thresholds: [{ max_connections: 7 }] }, common_lb_config: { healthy_panic_threshold: {} } }));
  assert.deepEqual(partial.pool.limits, { maxConnections: 7, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });
  assert.equal(partial.healthyPanicThreshold, 0);
});

test('unsupported fields and values are rejected with their path', () => {
  rejects(cluster({ circuit_breakers: { thresholds: [{ priority: 'HIGH' }] } }), 'cluster c.circuit_breakers.thresholds[0].priority');
  rejects(cluster({ circuit_breakers: { thresholds: [{}, {}] } }), 'cluster c.circuit_breakers.thresholds[1]');
  rejects(cluster({ outlier_detection: { enforcing_success_rate: 0, success_rate_minimum_hosts: 5 } }), 'cluster c.outlier_detection.success_rate_minimum_hosts');
  rejects(cluster({ outlier_detection: {} }), 'cluster c.outlier_detection.enforcing_success_rate');
  rejects(cluster({ outlier_detection: { enforcing_success_rate: 0, max_ejection_percent: 101 } }), 'cluster c.outlier_detection.max_ejection_percent');
  rejects(cluster({ typed_extension_protocol_options: { other: {} } }), 'cluster c.typed_extension_protocol_options.other');
  rejects(
    cluster({ typed_extension_protocol_options: { [HPO]: { '@type': `type.googleapis.com/${HPO}`, common_http_protocol_options: { headers_with_underscores_action: 'REJECT_REQUEST' } } } }),
    `cluster c.typed_extension_protocol_options["${HPO}"].common_http_protocol_options.headers_with_underscores_action`,
  );
  rejects(cluster({ upstream_connection_options: { tcp_keepalive: { keepalive_time: -1 } } }), 'cluster c.upstream_connection_options.tcp_keepalive.keepalive_time');
  rejects(cluster({ common_lb_config: { zone_aware_lb_config: {} } }), 'cluster c.common_lb_config.zone_aware_lb_config');
});
