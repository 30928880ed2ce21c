import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSnapshot } from '../model/snapshot.js';
import { groupByKind, loadResources, proxyOf, sidecarMetadata } from './golden.js';
import { jwtAuthnFilter, requestAuthenticationsFor, UNREACHABLE_JWKS } from './request-authn.js';
import { translate } from './index.js';

const WORKLOAD = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: order, labels: {app: order}}
spec:
  service: order
  ports: [{name: http, containerPort: 8080, servicePort: 80}]
  command: [node, order.js]
`;
const ra = (name: string, ns: string, extra = ''): string => `---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ${name}, namespace: ${ns}}
spec:
${extra}  jwtRules:
  - issuer: https://${name}.example
    jwksUri: http://127.0.0.1:9/${name}
`;

const proxy = proxyOf(sidecarMetadata({ NAMESPACE: 'default', WORKLOAD_NAME: 'order', LABELS: { app: 'order' } }));

function providers(snapshotJwks: Map<string, string>, yaml: string): Record<string, { issuer: string; local_jwks: { inline_string: string } }> {
  const snap = buildSnapshot(1, groupByKind(loadResources(WORKLOAD + yaml)), undefined, undefined, snapshotJwks);
  const f = jwtAuthnFilter(snap, proxy) as { typed_config: { providers: Record<string, { issuer: string; local_jwks: { inline_string: string } }> } } | undefined;
  return f?.typed_config.providers ?? {};
}

test('request-authn: a fetched JWKS is inlined; an unfetched one becomes the key that matches nothing', () => {
  const jwks = '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}';
  const p = providers(new Map([['http://127.0.0.1:9/a', jwks]]), ra('a', 'default') + ra('b', 'default'));
  assert.equal(p['origins-0']?.local_jwks.inline_string, jwks);
  assert.equal(p['origins-1']?.local_jwks.inline_string, UNREACHABLE_JWKS);
});

test('request-authn: scope is mesh (root namespace), namespace and selector, as Istio picks them', () => {
  const yaml =
    ra('mesh', 'istio-system') +
    ra('root-selector', 'istio-system', '  selector: {matchLabels: {app: order}}\n') +
    ra('ns', 'default') +
    ra('mine', 'default', '  selector: {matchLabels: {app: order}}\n') +
    ra('theirs', 'default', '  selector: {matchLabels: {app: cart}}\n') +
    ra('elsewhere', 'shop');
  const snap = buildSnapshot(1, groupByKind(loadResources(WORKLOAD + yaml)));
  const names = requestAuthenticationsFor(snap, 'default', { app: 'order' }).map((r) => r.metadata.name);
  assert.deepEqual(names.sort(), ['mesh', 'mine', 'ns']);
  // Another root namespace (MeshConfig) moves the mesh-wide scope.
  const mc = '---\napiVersion: weft.dev/v1alpha1\nkind: MeshConfig\nmetadata: {name: mesh}\nspec: {rootNamespace: shop}\n';
  const snap2 = buildSnapshot(1, groupByKind(loadResources(WORKLOAD + yaml + mc)));
  assert.deepEqual(requestAuthenticationsFor(snap2, 'default', { app: 'order' }).map((r) => r.metadata.name).sort(), ['elsewhere', 'mine', 'ns']);
});

test('request-authn: nothing selects the workload → no filter, listeners identical to no policy at all', () => {
  const none = translate(buildSnapshot(1, groupByKind(loadResources(WORKLOAD))), proxy);
  const other = translate(buildSnapshot(1, groupByKind(loadResources(WORKLOAD + ra('theirs', 'default', '  selector: {matchLabels: {app: cart}}\n')))), proxy);
  assert.deepEqual([...other.listener.entries()], [...none.listener.entries()]);
  assert.ok(!JSON.stringify([...none.listener.values()]).includes('jwt_authn'));
});
