import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYamlText } from './parse.js';
import { meshSettings, MESH_DEFAULTS } from '../control/model/mesh.js';
import type { MeshConfig } from './types.js';

const doc = (spec: string): string => `apiVersion: weft.dev/v1alpha1\nkind: MeshConfig\nmetadata:\n  name: default\nspec:\n${spec}\n`;

test('MeshConfig: Istio field names are read and override the defaults', () => {
  const r = parseYamlText(doc('  rootNamespace: weft-system\n  trustDomain: example.org'), 'mesh.yaml');
  assert.deepEqual(r.errors, []);
  const mc = r.resources[0] as MeshConfig;
  assert.equal(mc.kind, 'MeshConfig');
  assert.deepEqual(meshSettings([mc]), { ...MESH_DEFAULTS, rootNamespace: 'weft-system', trustDomain: 'example.org' });
});

test('MeshConfig: no resource means Istio defaults; unknown fields are reported with their path', () => {
  assert.deepEqual(meshSettings([]), MESH_DEFAULTS);
  assert.equal(MESH_DEFAULTS.rootNamespace, 'istio-system');
  const r = parseYamlText(doc('  trustDomian: example.org'), 'mesh.yaml');
  assert.equal(r.resources.length, 0);
  assert.match(r.errors.map((e) => e.message + ' ' + JSON.stringify(e)).join('\n'), /trustDomian[\s\S]*trustDomain/);
});
