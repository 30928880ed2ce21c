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

test('MeshConfig: pathNormalization.normalization, BASE by default (Istio DEFAULT reads as BASE)', () => {
  assert.deepEqual(MESH_DEFAULTS.pathNormalization, { normalization: 'BASE' });
  const r = parseYamlText(doc('  pathNormalization: {normalization: DECODE_AND_MERGE_SLASHES}'), 'mesh.yaml');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(meshSettings([r.resources[0] as MeshConfig]).pathNormalization, { normalization: 'DECODE_AND_MERGE_SLASHES' });
  const d = parseYamlText(doc('  pathNormalization: {normalization: DEFAULT}'), 'mesh.yaml');
  assert.deepEqual((d.resources[0] as MeshConfig).spec.pathNormalization, { normalization: 'BASE' });
  const bad = parseYamlText(doc('  pathNormalization: {normalization: FULL}'), 'mesh.yaml');
  assert.match(JSON.stringify(bad.errors), /spec\.pathNormalization\.normalization/);
});

test('MeshConfig: outboundTrafficPolicy.mode, ALLOW_ANY by default as in Istio; a typo gets a did-you-mean', () => {
  assert.deepEqual(MESH_DEFAULTS.outboundTrafficPolicy, { mode: 'ALLOW_ANY' });
  const r = parseYamlText(doc('  outboundTrafficPolicy: {mode: REGISTRY_ONLY}'), 'mesh.yaml');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(meshSettings([r.resources[0] as MeshConfig]).outboundTrafficPolicy, { mode: 'REGISTRY_ONLY' });
  const empty = parseYamlText(doc('  outboundTrafficPolicy: {}'), 'mesh.yaml');
  assert.deepEqual((empty.resources[0] as MeshConfig).spec.outboundTrafficPolicy, { mode: 'ALLOW_ANY' });
  const bad = parseYamlText(doc('  outboundTrafficPolicy: {mode: REGISTRY_ONY}'), 'mesh.yaml');
  assert.equal(bad.resources.length, 0);
  const msg = JSON.stringify(bad.errors);
  assert.match(msg, /spec\.outboundTrafficPolicy\.mode/);
  assert.match(msg, /REGISTRY_ONLY/);
  assert.match(msg, /mesh\.yaml/);
  const field = parseYamlText(doc('  outboundTrafficPolicy: {mod: ALLOW_ANY}'), 'mesh.yaml');
  assert.match(JSON.stringify(field.errors), /outboundTrafficPolicy[\s\S]*mod/);
});
