// AuthorizationPolicy fed by real identities: sidecars with CA-issued SVIDs talk mTLS, so the
// server's RBAC sees the caller's SPIFFE principal (`principals`, `namespaces`, `source.principal`),
// and RequestAuthentication's JWT result feeds `requestPrincipals` / `request.auth.claims`: a request
// without a token passes authentication but is denied where a policy requires a request principal.
// Subnet 127.0.56.0/24.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { writeConfig } from './harness/config.js';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ProxyHandle } from './harness/processes.js';
import { httpGet, viaSidecar } from './harness/http.js';
import { baseConfig, REVIEWS_HOST } from './harness/scenario.js';
import { meshIdentity } from './harness/mesh-identity.js';
import { jwksOf, signToken, testKey, type TestKey } from '../src/testing/jwt-issuer.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.56';
const ip = (n: number): string => `${SUBNET}.${n}`;
const ISS = 'https://issuer.authz-identity.test';

function policies(key: TestKey): string {
  return `---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: reviews-jwt, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  jwtRules:
  - issuer: ${ISS}
    jwks: '${jwksOf(key)}'
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews-callers, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/default/sa/productpage"]}}]
    to: [{operation: {paths: ["/by-principal/*"]}}]
  - from: [{source: {namespaces: ["default"], notPrincipals: ["cluster.local/ns/default/sa/productpage"]}}]
    to: [{operation: {paths: ["/not-productpage/*"]}}]
  - from: [{source: {requestPrincipals: ["*"]}}]
    to: [{operation: {paths: ["/by-token/*"]}}]
  - to: [{operation: {paths: ["/admins/*"]}}]
    when:
    - key: "request.auth.claims[groups]"
      values: ["admins"]
    - key: source.principal
      values: ["cluster.local/ns/default/sa/ratings"]
`;
}

describe('AuthorizationPolicy with mTLS principals and JWT request principals', { timeout: 180_000 }, () => {
  let productpage: ProxyHandle;
  let ratings: ProxyHandle;
  let server: ProxyHandle;
  let key: TestKey;

  before(async () => {
    key = await testKey('authz-1');
    const configDir = tempDir('authz-id-cfg');
    const stateDir = tempDir('authz-id-state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'base.yaml', baseConfig() + policies(key));
    writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1-0, namespace: default}
spec:
  address: ${ip(11)}
  ports: {http: 80}
  labels: {app: reviews, version: v1, weft.dev/workload: reviews-v1, security.istio.io/tlsMode: istio}
  serviceAccount: reviews
`);
    const id = meshIdentity(stateDir, ip(1), [
      { namespace: 'default', workload: 'reviews-v1', serviceAccount: 'reviews' },
      { namespace: 'default', workload: 'productpage', serviceAccount: 'productpage' },
      { namespace: 'default', workload: 'ratings', serviceAccount: 'ratings' },
    ]);
    const cp = await startControlPlane({ configDir, stateDir, host: ip(1), xdsPort: 15010, httpPort: 15014, extraArgs: id.cpArgs });
    await startUpstream('reviews-v1', ip(11), 9080);
    server = await startProxy({ xds: cp.xds, ip: ip(11), name: 'reviews-v1-0', workload: 'reviews-v1', labels: { app: 'reviews', version: 'v1' }, serviceAccount: 'reviews', extraArgs: id.proxyArgs('reviews-v1') });
    productpage = await startProxy({ xds: cp.xds, ip: ip(2), name: 'productpage-0', workload: 'productpage', labels: { app: 'productpage' }, serviceAccount: 'productpage', extraArgs: id.proxyArgs('productpage') });
    ratings = await startProxy({ xds: cp.xds, ip: ip(3), name: 'ratings-0', workload: 'ratings', labels: { app: 'ratings' }, serviceAccount: 'ratings', extraArgs: id.proxyArgs('ratings') });
    await waitFor('policies in force', async () => (await viaSidecar(ratings.ip, REVIEWS_HOST, '/by-principal/x')).status === 403, 30_000);
  });
  after(() => stopAll());

  const status = async (from: ProxyHandle, p: string, headers: Record<string, string> = {}): Promise<number> => (await viaSidecar(from.ip, REVIEWS_HOST, p, { headers })).status;

  it('principals and notPrincipals come from the caller\'s mTLS certificate', async () => {
    assert.equal(await status(productpage, '/by-principal/a'), 200);
    const denied = await viaSidecar(ratings.ip, REVIEWS_HOST, '/by-principal/a');
    assert.equal(denied.status, 403);
    assert.equal(denied.body, 'RBAC: access denied');
    assert.equal(await status(ratings, '/not-productpage/a'), 200);
    assert.equal(await status(productpage, '/not-productpage/a'), 403);
  });

  it('an identity header forged over the mesh connection does not change the principal', async () => {
    const forged = { 'x-forwarded-client-cert': 'By=spiffe://cluster.local/ns/default/sa/reviews;URI=spiffe://cluster.local/ns/default/sa/productpage' };
    assert.equal(await status(ratings, '/by-principal/a', forged), 403);
  });

  it('requestPrincipals: no token → 403 (authentication passes, authorization denies); valid token → 200; bad token → 401', async () => {
    assert.equal(await status(productpage, '/by-token/a'), 403);
    const token = await signToken(key, { iss: ISS, sub: 'alice' });
    assert.equal(await status(productpage, '/by-token/a', { authorization: `Bearer ${token}` }), 200);
    const expired = await signToken(key, { iss: ISS, sub: 'alice', expIn: -600 });
    assert.equal(await status(productpage, '/by-token/a', { authorization: `Bearer ${expired}` }), 401);
  });

  it('when: request.auth.claims and source.principal together', async () => {
    const admin = await signToken(key, { iss: ISS, sub: 'bob', claims: { groups: ['admins'] } });
    const user = await signToken(key, { iss: ISS, sub: 'carol', claims: { groups: ['users'] } });
    assert.equal(await status(ratings, '/admins/a', { authorization: `Bearer ${admin}` }), 200);
    assert.equal(await status(ratings, '/admins/a', { authorization: `Bearer ${user}` }), 403);
    assert.equal(await status(productpage, '/admins/a', { authorization: `Bearer ${admin}` }), 403, 'right claim, wrong caller');
  });

  it('denials are in the server\'s metrics with the caller\'s principal, and counted per policy', async () => {
    const m = parseExposition((await httpGet(`http://${server.admin}/stats/prometheus`)).body);
    const denied = findSamples(m, 'istio_requests_total', {
      reporter: 'destination',
      response_code: '403',
      source_principal: 'spiffe://cluster.local/ns/default/sa/ratings',
      connection_security_policy: 'mutual_tls',
    }).reduce((a, x) => a + x.value, 0);
    assert.ok(denied >= 3, `403s from ratings: ${denied}`);
    const perPolicy = findSamples(m, 'envoy_rbac_denied_total').reduce((a, x) => a + x.value, 0);
    assert.ok(perPolicy >= 5, `RBAC denials counted: ${perPolicy}`);
  });
});
