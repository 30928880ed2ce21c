// RequestAuthentication end to end: a real control plane fetches the JWKS from a server this
// test runs on loopback and inlines it; the reviews sidecars verify tokens (valid, expired,
// not yet valid, wrong issuer, wrong audience, alg none, HS256 signed with the RSA public key,
// unknown kid, two Authorization headers, query parameter, inline JWKS, unreachable jwksUri),
// forward or strip the token and output payload/claim headers; an ingress gateway routes on a
// validated claim. Rejections show in istio_requests_total. Subnet 127.0.50.0/24 only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startScenario, type Scenario } from './harness/scenario.js';
import { startProxy, stopAll, waitFor } from './harness/processes.js';
import { httpGet, request, viaSidecar, type Resp } from './harness/http.js';
import { allSynced } from './harness/config.js';
import { parseExposition, findSamples } from '../src/telemetry/exposition-parser.js';
import { hs256WithPublicKey, jwksOf, signToken, testKey, unsignedToken, type TestKey } from '../src/testing/jwt-issuer.js';

const SUBNET = '127.0.50';
const JWKS_ADDR = `${SUBNET}.100`;
const JWKS_PORT = 18100;
const ISS_A = 'https://a.weft.test';
const ISS_B = 'https://b.weft.test';
const ISS_C = 'https://c.weft.test';

function config(keyB: TestKey): string {
  return `---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: reviews-jwt, namespace: default}
spec:
  selector:
    matchLabels: {app: reviews}
  jwtRules:
  - issuer: ${ISS_A}
    audiences: [reviews]
    jwksUri: http://${JWKS_ADDR}:${JWKS_PORT}/jwks
    outputPayloadToHeader: x-jwt-payload
    outputClaimToHeaders: [{header: x-jwt-sub, claim: sub}]
  - issuer: ${ISS_B}
    jwks: '${jwksOf(keyB)}'
    fromHeaders: [{name: x-b-token}]
    fromParams: [jwt]
    forwardOriginalToken: true
    outputClaimToHeaders: [{header: x-b-sub, claim: sub}]
---
apiVersion: security.istio.io/v1beta1
kind: RequestAuthentication
metadata: {name: unreachable-jwks, namespace: default}
spec:
  selector:
    matchLabels: {app: reviews}
  jwtRules:
  - issuer: ${ISS_C}
    jwksUri: http://${JWKS_ADDR}:${JWKS_PORT + 1}/jwks
    timeout: 1s
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ingress-jwt, namespace: default}
spec:
  selector:
    matchLabels: {istio: ingressgateway}
  jwtRules:
  - issuer: ${ISS_A}
    jwksUri: http://${JWKS_ADDR}:${JWKS_PORT}/jwks
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: by-claim, namespace: default}
spec:
  hosts: ["*"]
  gateways: [ingress]
  http:
  - match:
    - headers:
        "@request.auth.claims.group": {exact: beta}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
`;
}

interface Echo {
  name: string;
  headers: Record<string, string | string[] | undefined>;
}

describe('RequestAuthentication (JWT) through real sidecars', { timeout: 180_000 }, () => {
  let s: Scenario;
  let keyA: TestKey;
  let keyB: TestKey;
  let stranger: TestKey;
  let jwksServer: http.Server;
  let jwksHits = 0;
  const gateway = `${SUBNET}.30`;

  before(async () => {
    keyA = await testKey('a-1', 'RS256');
    keyB = await testKey('b-1', 'ES256');
    stranger = await testKey('x-9', 'RS256');
    jwksServer = http.createServer((req, res) => {
      jwksHits++;
      res.writeHead(req.url === '/jwks' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(req.url === '/jwks' ? jwksOf(keyA) : '{}');
    });
    await new Promise<void>((r) => jwksServer.listen(JWKS_PORT, JWKS_ADDR, r));
    s = await startScenario({ subnet: SUBNET, xdsPort: 15010, httpPort: 15014, cpHost: `${SUBNET}.1`, extraConfig: config(keyB) });
    await startProxy({
      xds: s.cp.xds,
      ip: gateway,
      name: 'ingress-0',
      workload: 'istio-ingressgateway',
      type: 'router',
      labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
      portMap: '80=18080',
    });
    // The fetched JWKS is in effect once a token of issuer A passes on both reviews sidecars.
    const token = await signToken(keyA, { iss: ISS_A, sub: 'warmup', aud: 'reviews' });
    await waitFor(
      'JWKS fetched and pushed',
      async () => {
        if (!(await allSynced(s.cp.http, 4))) return false;
        for (let i = 0; i < 6; i++) if ((await call({ authorization: `Bearer ${token}` })).status !== 200) return false;
        return (await request(`http://${gateway}:18080/x`, { headers: { authorization: `Bearer ${token}` } })).status === 200;
      },
      60_000,
    );
  });
  after(async () => {
    await stopAll();
    jwksServer?.close();
  });

  const call = (headers: Record<string, string> = {}, path = '/reviews/1'): Promise<Resp> => viaSidecar(s.client.ip, s.host, path, { headers });
  const echo = (r: Resp): Echo => {
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as Echo;
  };
  const rejected = (r: Resp, status: number, body: string): void => {
    assert.equal(r.status, status, r.body);
    assert.equal(r.body, body);
  };
  const bearer = (t: string): Record<string, string> => ({ authorization: `Bearer ${t}` });
  const now = (): number => Math.floor(Date.now() / 1000);

  it('fetched the JWKS from jwksUri in the control plane (not in the proxies)', () => {
    assert.ok(jwksHits >= 1);
    assert.ok(jwksHits < 10, `the JWKS server was asked ${jwksHits} times: proxies must not fetch it`);
  });

  it('no token: passes (authorization decides); forged output headers never reach the app', async () => {
    const e = echo(await call({ 'x-jwt-sub': 'forged', 'x-jwt-payload': 'forged' }));
    assert.equal(e.headers['x-jwt-sub'], undefined);
    assert.equal(e.headers['x-jwt-payload'], undefined);
  });

  it('valid token: 200; token stripped (forwardOriginalToken false); payload and claim headers set', async () => {
    const t = await signToken(keyA, { iss: ISS_A, sub: 'alice', aud: ['other', 'reviews'], claims: { group: 'beta' } });
    for (let i = 0; i < 4; i++) {
      const e = echo(await call({ ...bearer(t), 'x-jwt-sub': 'forged' }));
      assert.equal(e.headers.authorization, undefined);
      assert.equal(e.headers['x-jwt-sub'], 'alice');
      const payload = JSON.parse(Buffer.from(String(e.headers['x-jwt-payload']), 'base64url').toString()) as { sub: string; group: string };
      assert.deepEqual([payload.sub, payload.group], ['alice', 'beta']);
    }
  });

  it('expired and not-yet-valid tokens: 401 (60 s clock skew allowed)', async () => {
    rejected(await call(bearer(await signToken(keyA, { iss: ISS_A, aud: 'reviews', expIn: -120 }))), 401, 'Jwt is expired');
    rejected(await call(bearer(await signToken(keyA, { iss: ISS_A, aud: 'reviews', nbfIn: 600 }))), 401, 'Jwt not yet valid');
    echo(await call(bearer(await signToken(keyA, { iss: ISS_A, aud: 'reviews', expIn: -20 }))));
  });

  it('wrong issuer 401, wrong audience 401 (Istio: every invalid token), with WWW-Authenticate', async () => {
    const r = await call(bearer(await signToken(keyA, { iss: 'https://evil.test', aud: 'reviews' })));
    rejected(r, 401, 'Jwt issuer is not configured');
    assert.match(String(r.headers['www-authenticate']), /^Bearer realm="http:\/\/reviews\.default\.svc\.cluster\.local\/reviews\/1", error="invalid_token"$/);
    rejected(await call(bearer(await signToken(keyA, { iss: ISS_A, aud: 'ratings' }))), 401, 'Audiences in Jwt are not allowed');
  });

  it('forgeries fail: alg none, HS256 signed with the RSA public key, unknown kid, tampered payload', async () => {
    const claims = { iss: ISS_A, sub: 'mallory', aud: 'reviews', exp: now() + 600 };
    rejected(await call(bearer(unsignedToken(claims))), 401, 'Jwt header [alg] is not supported');
    rejected(await call(bearer(hs256WithPublicKey(keyA, claims))), 401, "Jwks doesn't have key to match kid or alg from Jwt");
    rejected(await call(bearer(await signToken(stranger, { iss: ISS_A, aud: 'reviews' }))), 401, "Jwks doesn't have key to match kid or alg from Jwt");
    const good = (await signToken(keyA, { iss: ISS_A, sub: 'alice', aud: 'reviews' })).split('.');
    const forged = `${good[0]}.${Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url')}.${good[2]}`;
    rejected(await call(bearer(forged)), 401, 'Jwt verification fails');
  });

  it('two Authorization headers: 401', async () => {
    const t = await signToken(keyA, { iss: ISS_A, aud: 'reviews' });
    const r = await new Promise<Resp>((resolve, reject) => {
      const req = http.request(`http://${s.client.ip}:15001/reviews/1`, { agent: false, headers: { host: s.host } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.setHeader('authorization', [`Bearer ${t}`, `Bearer ${t}`]);
      req.on('error', reject);
      req.end();
    });
    assert.equal(r.status, 401, r.body);
  });

  it('token in a query parameter when configured (fromParams), inline JWKS, forwardOriginalToken true', async () => {
    const t = await signToken(keyB, { iss: ISS_B, sub: 'bob' });
    assert.equal(echo(await call({}, `/reviews/1?jwt=${t}`)).headers['x-b-sub'], 'bob');
    // The parameter is really read: a bad token there is rejected; elsewhere it is no token.
    rejected(await call({}, '/reviews/1?jwt=not.a.jwt'), 401, 'Jwt header is an invalid JSON');
    assert.equal(echo(await call({}, '/reviews/1?other=not.a.jwt')).headers['x-b-sub'], undefined);
    const e = echo(await call({ 'x-b-token': t }));
    assert.equal(e.headers['x-b-sub'], 'bob');
    assert.equal(e.headers['x-b-token'], t);
    // Issuer B's token in Authorization: issuer A's location only, so "not configured" there.
    rejected(await call(bearer(t)), 401, 'Jwt issuer is not configured');
  });

  it('a jwksUri that cannot be fetched inlines a key that matches nothing: its tokens fail', async () => {
    rejected(await call(bearer(await signToken(keyA, { iss: ISS_C }))), 401, "Jwks doesn't have key to match kid or alg from Jwt");
  });

  it('the gateway routes on a validated claim (@request.auth.claims.group)', async () => {
    const viaGateway = async (headers: Record<string, string>): Promise<string> => echo(await request(`http://${gateway}:18080/x`, { headers })).name;
    const beta = await signToken(keyA, { iss: ISS_A, sub: 'carol', claims: { group: 'beta' } });
    const ga = await signToken(keyA, { iss: ISS_A, sub: 'dave', claims: { group: 'ga' } });
    for (let i = 0; i < 5; i++) {
      assert.equal(await viaGateway(bearer(beta)), 'reviews-v2');
      assert.equal(await viaGateway(bearer(ga)), 'reviews-v1');
      assert.equal(await viaGateway({}), 'reviews-v1');
    }
    // A forged token does not reach the claim route: it is rejected at the gateway.
    rejected(await request(`http://${gateway}:18080/x`, { headers: bearer(hs256WithPublicKey(keyA, { iss: ISS_A, group: 'beta' })) }), 401, "Jwks doesn't have key to match kid or alg from Jwt");
  });

  it('a request body that arrives while the token is verified is sent whole, also on a retry', async () => {
    const t = await signToken(keyA, { iss: ISS_A, sub: 'erin' });
    const body = 'x'.repeat(3000);
    // The upstream fails the first try with 503; the gateway's default retry policy resends.
    const r = await request(`http://${gateway}:18080/x?failTimes=1&key=jwt-body-${Date.now()}`, {
      method: 'POST',
      headers: { ...bearer(t), 'content-type': 'text/plain' },
      body,
    });
    assert.equal((echo(r) as Echo & { bodyBytes: number }).bodyBytes, body.length);
  });

  it('rejections are in istio_requests_total (401, no response flag)', async () => {
    let dest401 = 0;
    for (const srv of s.servers) {
      const m = parseExposition((await httpGet(`http://${srv.admin}/stats/prometheus`)).body);
      for (const x of findSamples(m, 'istio_requests_total', { reporter: 'destination', response_code: '401' })) {
        assert.equal(x.labels.response_flags, '-');
        dest401 += x.value;
      }
    }
    assert.ok(dest401 >= 10, `destination 401s: ${dest401}`);
    const client = parseExposition((await httpGet(`http://${s.client.admin}/stats/prometheus`)).body);
    const src401 = findSamples(client, 'istio_requests_total', { reporter: 'source', response_code: '401' }).reduce((a, x) => a + x.value, 0);
    assert.equal(src401, dest401);
  });
});
