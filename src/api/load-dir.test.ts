import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatConfigError } from './errors.js';
import { dropDuplicates, listYamlFiles, loadDirectory } from './load-dir.js';
import { testdata } from './test-helpers.js';

test('lists *.yaml and *.yml recursively, sorted, skipping dot-files and dot-directories', () => {
  assert.deepEqual(listYamlFiles(testdata('dupes')), ['a.yaml', 'b.yml', 'nested/c.yaml']);
});

test('a duplicate kind/namespace/name is an error on the later one; the first is kept', () => {
  const dir = testdata('dupes');
  const r = loadDirectory(dir);
  assert.deepEqual(
    r.resources.map((x) => `${x.kind}/${x.metadata.namespace}/${x.metadata.name} ${x.source?.file.slice(dir.length + 1)}#${x.source?.document}`),
    ['DestinationRule/default/reviews a.yaml#1', 'VirtualService/default/reviews a.yaml#2', 'DestinationRule/shop/reviews b.yml#2'],
  );
  const dr = r.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.deepEqual(dr.spec.subsets.map((s) => s.name), ['v1'], 'the first definition wins');
  assert.deepEqual(
    r.errors.map((e) => ({ ...e, file: e.file.slice(dir.length + 1) })),
    [
      {
        file: 'b.yml',
        document: 1,
        kind: 'DestinationRule',
        name: 'reviews',
        namespace: 'default',
        path: 'metadata.name',
        message: `duplicate DestinationRule default/reviews: already defined in ${join(dir, 'a.yaml')} (document 1); this one is ignored`,
        severity: 'error',
        line: 5,
      },
      {
        file: 'nested/c.yaml',
        document: 1,
        kind: 'VirtualService',
        name: 'reviews',
        namespace: 'default',
        path: 'metadata.name',
        message: `duplicate VirtualService default/reviews: already defined in ${join(dir, 'a.yaml')} (document 2); this one is ignored`,
        severity: 'error',
        line: 4,
      },
    ],
  );
});

test('loads the bookinfo sample without any problem', () => {
  const r = loadDirectory(testdata('bookinfo'));
  assert.deepEqual(r.errors.map(formatConfigError), []);
  assert.equal(r.resources.length, 11);
  const kinds = new Set(r.resources.map((x) => x.kind));
  assert.deepEqual([...kinds].sort(), ['DestinationRule', 'Gateway', 'ServiceEntry', 'VirtualService', 'Workload', 'WorkloadEntry']);
});

test('a missing directory is one file-level error; a single file path loads that file', () => {
  const missing = loadDirectory(testdata('no-such-dir'));
  assert.equal(missing.resources.length, 0);
  assert.equal(missing.errors.length, 1);
  assert.equal(missing.errors[0]?.document, 0);
  assert.match(missing.errors[0]?.message ?? '', /^cannot read: ENOENT/);

  const one = loadDirectory(testdata('multi-doc-one-bad.yaml'));
  assert.equal(one.resources.length, 2);
  assert.equal(one.errors.length, 1);
});

test('symlinked files are read; symlinked directories are not followed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-load-dir-'));
  try {
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'dr.yaml'), 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec: {host: a}\n');
    symlinkSync(join(dir, 'real'), join(dir, 'loop'));
    symlinkSync(join(dir, 'real', 'dr.yaml'), join(dir, 'link.yaml'));
    assert.deepEqual(listYamlFiles(dir), ['link.yaml', 'real/dr.yaml']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dropDuplicates works on resources from any source', () => {
  const r = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule' as const,
    metadata: { name: 'a', namespace: 'default', labels: {}, annotations: {} },
    spec: { host: 'a', subsets: [], exportTo: [] },
  };
  const out = dropDuplicates([r, { ...r }, { ...r, metadata: { ...r.metadata, namespace: 'x' } }]);
  assert.equal(out.resources.length, 2);
  assert.equal(out.errors[0]?.message, 'duplicate DestinationRule default/a: already defined in an earlier document; this one is ignored');
});
