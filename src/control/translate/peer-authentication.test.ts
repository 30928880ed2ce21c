import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../api/test-helpers.js';
import { snapshotOf } from './golden.js';
import { effectiveMtlsMode } from './peer-authentication.js';

function pa(ns: string, name: string, body: string): string {
  return `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${body}\n---\n`;
}

function modeOf(yaml: string, ns: string, labels: Record<string, string>, port?: number): string {
  const r = parse(yaml);
  assert.deepEqual(r.problems, []);
  return effectiveMtlsMode(snapshotOf(r.resources), ns, labels, port);
}

test('default is PERMISSIVE; mesh < namespace < workload < port; UNSET inherits', () => {
  assert.equal(modeOf('', 'default', {}), 'PERMISSIVE');
  const mesh = pa('istio-system', 'default', '  mtls: {mode: STRICT}');
  assert.equal(modeOf(mesh, 'default', {}), 'STRICT');
  const ns = pa('default', 'default', '  mtls: {mode: DISABLE}');
  assert.equal(modeOf(mesh + ns, 'default', {}), 'DISABLE');
  assert.equal(modeOf(mesh + ns, 'other', {}), 'STRICT', 'a namespace policy stays in its namespace');
  const unset = pa('default', 'default', '  mtls: {mode: UNSET}');
  assert.equal(modeOf(mesh + unset, 'default', {}), 'STRICT');
  const wl = pa('default', 'reviews', '  selector: {matchLabels: {app: reviews}}\n  mtls: {mode: PERMISSIVE}\n  portLevelMtls: {"9080": {mode: STRICT}, "9090": {mode: UNSET}}');
  assert.equal(modeOf(mesh + ns + wl, 'default', { app: 'reviews' }), 'PERMISSIVE');
  assert.equal(modeOf(mesh + ns + wl, 'default', { app: 'ratings' }), 'DISABLE');
  assert.equal(modeOf(mesh + ns + wl, 'default', { app: 'reviews' }, 9080), 'STRICT');
  assert.equal(modeOf(mesh + ns + wl, 'default', { app: 'reviews' }, 9090), 'PERMISSIVE');
  const otherRoot = 'apiVersion: weft.dev/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh, namespace: weft-system}\nspec: {rootNamespace: weft-system}\n---\n';
  assert.equal(modeOf(otherRoot + mesh, 'default', {}), 'PERMISSIVE', 'istio-system is not the root namespace any more');
});

test('portLevelMtls needs a selector; keys must be ports; modes are checked', () => {
  const r = parse(pa('default', 'x', '  mtls: {mode: STRICTER}\n  portLevelMtls: {"80": {mode: STRICT}, "http": {mode: STRICT}}'));
  assert.equal(r.resources.length, 0);
  assert.equal(r.problems.length, 3, r.problems.join('\n'));
  assert.ok(r.problems.some((p) => p.includes('spec.mtls.mode')));
  assert.ok(r.problems.some((p) => p.includes('expected a port number 1..65535 as the key')));
  assert.ok(r.problems.some((p) => p.includes('portLevelMtls needs a workload selector')));
});
