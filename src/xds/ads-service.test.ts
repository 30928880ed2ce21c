import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADS_SERVICE, fromStruct, makeAdsClientConstructor, toStruct } from './ads-service.js';
import type { DiscoveryRequest, DiscoveryResponse } from './ads-service.js';
import { packAny, TYPE_URL, unpackAny } from './protos.js';

const sotw = ADS_SERVICE.StreamAggregatedResources;

test('ads-service-paths-and-streaming-flags', () => {
  assert.equal(sotw.path, '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources');
  assert.equal(sotw.requestStream, true);
  assert.equal(sotw.responseStream, true);
  const delta = ADS_SERVICE.DeltaAggregatedResources;
  assert.equal(delta.path, '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources');
  assert.equal(delta.requestStream && delta.responseStream, true);
  const Ctor = makeAdsClientConstructor();
  assert.equal(typeof Ctor.prototype.StreamAggregatedResources, 'function');
  assert.equal(typeof Ctor.prototype.DeltaAggregatedResources, 'function');
});

test('discovery-response-round-trip-keeps-any-value-as-buffer', () => {
  const res: DiscoveryResponse = {
    version_info: '3',
    type_url: TYPE_URL.cluster,
    nonce: 'abc',
    resources: [packAny(TYPE_URL.cluster, { name: 'c1' })],
  };
  const bytes = sotw.responseSerialize(res);
  const back = sotw.responseDeserialize(bytes) as DiscoveryResponse;
  assert.equal(back.version_info, '3');
  assert.equal(back.nonce, 'abc');
  assert.equal(back.type_url, TYPE_URL.cluster);
  assert.equal(back.resources.length, 1);
  const any = back.resources[0];
  assert.ok(any && Buffer.isBuffer(any.value), 'Any.value is a Buffer');
  assert.equal(any.type_url, TYPE_URL.cluster);
  assert.equal(unpackAny(any)['name'], 'c1');
});

test('empty-discovery-response-decodes-with-an-empty-resources-array', () => {
  const bytes = sotw.responseSerialize({ version_info: '', type_url: TYPE_URL.route, nonce: 'n', resources: [] });
  const back = sotw.responseDeserialize(bytes) as DiscoveryResponse;
  assert.deepEqual(back.resources, []);
});

test('discovery-request-round-trip-with-nack-detail-and-struct-metadata', () => {
  const meta = {
    NAME: 'a-0',
    LABELS: { app: 'a', version: 'v1' },
    PORT: 15001,
    ZERO: 0,
    ON: true,
    OFF: false,
    EMPTY: '',
    NOTHING: null,
    LIST: [1, 'two', { three: 3 }, [], null],
    NESTED: { deeper: { deepest: 'x' }, empty: {} },
  };
  const req: DiscoveryRequest = {
    type_url: TYPE_URL.listener,
    version_info: '7',
    response_nonce: 'n9',
    resource_names: ['x', 'y'],
    node: { id: 'sidecar~1~a', cluster: 'a.ns', metadata: toStruct(meta) },
    error_detail: { code: 3, message: 'bad listener' },
  };
  const back = sotw.requestDeserialize(sotw.requestSerialize(req)) as DiscoveryRequest;
  assert.equal(back.version_info, '7');
  assert.equal(back.response_nonce, 'n9');
  assert.deepEqual(back.resource_names, ['x', 'y']);
  assert.equal(back.error_detail?.code, 3);
  assert.equal(back.error_detail.message, 'bad listener');
  assert.equal(back.node?.id, 'sidecar~1~a');
  assert.deepEqual(fromStruct(back.node?.metadata), meta);
});

test('to-struct-skips-undefined-and-rejects-functions', () => {
  assert.deepEqual(fromStruct(toStruct({ a: undefined, b: 1 })), { b: 1 });
  assert.throws(() => toStruct({ f: () => 1 }), /cannot represent a function/);
  assert.deepEqual(fromStruct(undefined), {});
});

test('from-struct-accepts-snake-case-value-fields', () => {
  const struct = {
    fields: {
      s: { string_value: 'x' },
      n: { number_value: 2 },
      b: { bool_value: true },
      o: { struct_value: { fields: { k: { null_value: 'NULL_VALUE' } } } },
      l: { list_value: { values: [{ string_value: 'y' }] } },
    },
  };
  assert.deepEqual(fromStruct(struct), { s: 'x', n: 2, b: true, o: { k: null }, l: ['y'] });
});
