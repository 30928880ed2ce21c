import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { renderRegistry, workloadEntryFor } from './registry-file.js';

const reviews = {
  name: 'reviews-v2-1',
  namespace: 'shop',
  address: '127.0.1.4',
  labels: { version: 'v2', app: 'reviews', 'weft.dev/workload': 'reviews-v2' },
  ports: [
    { name: 'http', servicePort: 9080 },
    { name: 'grpc', servicePort: 9090 },
  ],
  serviceAccount: 'reviews',
};

test('workloadEntryFor maps an instance to an Istio WorkloadEntry', () => {
  assert.deepEqual(workloadEntryFor(reviews), {
    apiVersion: 'networking.istio.io/v1',
    kind: 'WorkloadEntry',
    metadata: {
      name: 'reviews-v2-1',
      namespace: 'shop',
      labels: { app: 'reviews', 'security.istio.io/tlsMode': 'istio', version: 'v2', 'weft.dev/workload': 'reviews-v2' },
    },
    spec: {
      address: '127.0.1.4',
      ports: { http: 9080, grpc: 9090 },
      labels: { app: 'reviews', 'security.istio.io/tlsMode': 'istio', version: 'v2', 'weft.dev/workload': 'reviews-v2' },
      serviceAccount: 'reviews',
    },
  });
});

test('renderRegistry writes one plain YAML document per instance, parseable back', () => {
  const other = { ...reviews, name: 'ratings-v1-0', address: '127.0.1.2', labels: { app: 'ratings' } };
  const text = renderRegistry([other, reviews]);
  assert.match(text, /^# Written by `weft up`/);
  assert.doesNotMatch(text, /[&*]\w/, 'no YAML anchors or aliases');
  const docs = parseAllDocuments(text);
  assert.ok(Array.isArray(docs));
  assert.equal(docs.length, 2);
  for (const d of docs) assert.deepEqual(d.errors, []);
  assert.deepEqual(docs[0]?.toJS(), workloadEntryFor(other));
  assert.deepEqual(docs[1]?.toJS(), workloadEntryFor(reviews));
});

test('renderRegistry of no instances is just the header (valid, empty YAML)', () => {
  const text = renderRegistry([]);
  assert.equal(text.split('\n').filter((l) => l && !l.startsWith('#')).length, 0);
});
