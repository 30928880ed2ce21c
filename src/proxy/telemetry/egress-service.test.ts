import { test } from 'node:test';
import assert from 'node:assert/strict';
import { egressService, requestAuthority } from './egress-service.js';

test('egress-service: Istio keys PassthroughCluster / BlackHoleCluster off the route or cluster name', () => {
  assert.deepEqual(egressService('allow_any', 'PassthroughCluster', '/x', 'Api.Example.com'), { host: 'api.example.com', name: 'PassthroughCluster', namespace: 'unknown' });
  assert.deepEqual(egressService('block_all', undefined, '/x', '10.1.2.3:8080'), { host: '10.1.2.3:8080', name: 'BlackHoleCluster', namespace: 'unknown' });
  assert.deepEqual(egressService(undefined, 'BlackHoleCluster', '/', 'h'), { host: 'h', name: 'BlackHoleCluster', namespace: 'unknown' });
  assert.equal(egressService('default', 'outbound|80||reviews.default.svc.cluster.local', '/', 'reviews'), undefined);
  assert.equal(egressService(undefined, undefined, '/', 'reviews'), undefined);
});

test('egress-service: the authority of an absolute-form request is its URL host, as Envoy\'s codec makes it', () => {
  assert.equal(requestAuthority('http://Ext.example:8080/p?q', 'other'), 'ext.example:8080');
  assert.equal(requestAuthority('/p', 'Host.example'), 'host.example');
  assert.equal(requestAuthority('/p', undefined), '');
  assert.equal(requestAuthority('ext.example:443', 'ext.example:443'), 'ext.example:443');
});
