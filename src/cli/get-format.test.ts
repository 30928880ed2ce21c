import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VirtualService } from '../api/types.js';
import { resolveKind, resourceTable, toManifest, toYamlStream } from './get-format.js';

const VS: VirtualService = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'default', labels: {}, annotations: {} },
  spec: {
    hosts: ['reviews'],
    gateways: [],
    exportTo: [],
    http: [{ match: [], route: [{ destination: { host: 'reviews' } }], timeoutMs: 1500 }],
  },
  source: { file: 'shop/vs.yaml', document: 2 },
};

describe('resolveKind', () => {
  it('accepts Istio spellings, plurals, short names and group suffixes', () => {
    for (const s of ['vs', 'VirtualService', 'virtualservices', 'virtualservice.networking.istio.io']) {
      assert.equal(resolveKind(s), 'VirtualService', s);
    }
    assert.equal(resolveKind('dr'), 'DestinationRule');
    assert.equal(resolveKind('se'), 'ServiceEntry');
    assert.equal(resolveKind('we'), 'WorkloadEntry');
    assert.equal(resolveKind('gw'), 'Gateway');
    assert.equal(resolveKind('wl'), 'Workload');
    assert.equal(resolveKind('workloads.weft.dev'), 'Workload');
    assert.equal(resolveKind('ALL'), 'all');
    assert.equal(resolveKind('pods'), undefined);
  });
});

describe('resourceTable', () => {
  it('has kind-specific columns and a file:document SOURCE', () => {
    const t = resourceTable('VirtualService', [VS]);
    assert.deepEqual(t.headers, ['NAMESPACE', 'NAME', 'GATEWAYS', 'HOSTS', 'ROUTES', 'SOURCE']);
    assert.deepEqual(t.rows, [['default', 'reviews', '<none>', 'reviews', '1', 'shop/vs.yaml:2']]);
    assert.equal(resourceTable('VirtualService', [VS], true).rows[0]?.[1], 'virtualservice/reviews');
  });
});

describe('toManifest', () => {
  it('drops source and empty metadata maps, and writes the timeout in Istio form', () => {
    const m = toManifest(VS) as { metadata: Record<string, unknown>; spec: { http: Record<string, unknown>[] } };
    assert.deepEqual(Object.keys(m), ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.deepEqual(m.metadata, { name: 'reviews', namespace: 'default' });
    assert.equal(m.spec.http[0]?.['timeout'], '1.5s');
    assert.equal('timeoutMs' in (m.spec.http[0] ?? {}), false);
    assert.equal(toYamlStream([VS, VS]).split('---\n').length, 2);
  });
});
