import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCluster } from './decode-cluster.js';
import { ConfigRejection } from './check.js';
import { egressClusters } from '../../control/translate/passthrough.js';

const passthrough = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'PassthroughCluster',
  type: 'ORIGINAL_DST',
  connect_timeout: '10s',
  lb_policy: 'CLUSTER_PROVIDED',
  original_dst_lb_config: { use_http_header: true, http_header_name: ':authority' },
  ...over,
});

function rejectsAt(c: Record<string, unknown>, path: string): void {
  assert.throws(() => decodeCluster(c), (e: unknown) => e instanceof ConfigRejection && e.message.includes(path), `expected a rejection naming ${path}`);
}

test('original-dst: the control plane\'s PassthroughCluster and BlackHoleCluster decode', () => {
  const [pt, bh] = egressClusters().map((c) => decodeCluster(c));
  assert.equal(pt?.type, 'ORIGINAL_DST');
  assert.deepEqual(pt?.originalDst, { headerName: ':authority' });
  assert.deepEqual(pt?.staticEndpoints, []);
  assert.equal(pt?.connectTimeoutMs, 10_000);
  assert.equal(bh?.type, 'STATIC');
  assert.deepEqual(bh?.staticEndpoints, []);
  assert.equal(bh?.originalDst, undefined);
});

test('original-dst: header name defaults to Envoy\'s x-envoy-original-dst-host; "host" means :authority', () => {
  assert.deepEqual(decodeCluster(passthrough({ original_dst_lb_config: { use_http_header: true } })).originalDst, { headerName: 'x-envoy-original-dst-host' });
  assert.deepEqual(decodeCluster(passthrough({ original_dst_lb_config: { use_http_header: true, http_header_name: 'Host' } })).originalDst, { headerName: ':authority' });
});

test('original-dst: what the proxy does not implement is NACKed with its field path', () => {
  rejectsAt(passthrough({ lb_policy: 'ROUND_ROBIN' }), 'cluster PassthroughCluster.lb_policy');
  rejectsAt(passthrough({ original_dst_lb_config: undefined }), 'cluster PassthroughCluster.original_dst_lb_config');
  rejectsAt(passthrough({ original_dst_lb_config: { use_http_header: false } }), 'original_dst_lb_config.use_http_header');
  rejectsAt(passthrough({ original_dst_lb_config: { use_http_header: true, upstream_port_override: 80 } }), 'original_dst_lb_config');
  rejectsAt(passthrough({ original_dst_lb_config: { use_http_header: true, metadata_key: { key: 'k' } } }), 'original_dst_lb_config');
  rejectsAt(passthrough({ original_dst_lb_config: { use_http_header: true, http_header_name: 'bad header' } }), 'original_dst_lb_config.http_header_name');
  rejectsAt(passthrough({ load_assignment: { cluster_name: 'PassthroughCluster', endpoints: [] } }), 'cluster PassthroughCluster.load_assignment');
  rejectsAt(passthrough({ outlier_detection: {} }), 'cluster PassthroughCluster.outlier_detection');
  rejectsAt(passthrough({ ring_hash_lb_config: {} }), 'cluster PassthroughCluster.ring_hash_lb_config');
  rejectsAt(passthrough({ cleanup_interval: '5s' }), 'cluster PassthroughCluster');
  // original_dst_lb_config belongs to ORIGINAL_DST clusters only; CLUSTER_PROVIDED to them too.
  rejectsAt({ name: 'c', type: 'STATIC', original_dst_lb_config: { use_http_header: true } }, 'cluster c.original_dst_lb_config');
  rejectsAt({ name: 'c', type: 'STATIC', lb_policy: 'CLUSTER_PROVIDED' }, 'cluster c.lb_policy');
});
