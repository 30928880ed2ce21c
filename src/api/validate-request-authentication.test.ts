import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

const JWKS = '{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}';

test('RequestAuthentication: every jwtRules field is read (security.istio.io/v1)', () => {
  const ra = parseValid(
    'RequestAuthentication',
    withSpec(
      'RequestAuthentication',
      `
      selector:
        matchLabels: { app: order }
      jwtRules:
      - issuer: https://issuer.example
        audiences: [order, shop]
        jwksUri: http://127.0.0.1:9000/jwks
        fromHeaders: [{ name: x-jwt, prefix: "Token " }]
        fromParams: [access_token]
        fromCookies: [session]
        outputPayloadToHeader: x-jwt-payload
        forwardOriginalToken: true
        outputClaimToHeaders: [{ header: x-sub, claim: sub }, { header: x-team, claim: org.team }]
        timeout: 2s
      `,
    ),
  );
  assert.equal(ra.apiVersion, 'security.istio.io/v1');
  assert.deepEqual(ra.spec, {
    selector: { app: 'order' },
    jwtRules: [
      {
        issuer: 'https://issuer.example',
        audiences: ['order', 'shop'],
        jwksUri: 'http://127.0.0.1:9000/jwks',
        fromHeaders: [{ name: 'x-jwt', prefix: 'Token ' }],
        fromParams: ['access_token'],
        fromCookies: ['session'],
        outputPayloadToHeader: 'x-jwt-payload',
        forwardOriginalToken: true,
        outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }, { header: 'x-team', claim: 'org.team' }],
        timeoutMs: 2000,
      },
    ],
  });
});

test('RequestAuthentication: v1beta1 and inline jwks are accepted; forwardOriginalToken defaults to false', () => {
  const text = withSpec('RequestAuthentication', `jwtRules:\n- issuer: a\n  jwks: '${JWKS}'`).replace('security.istio.io/v1', 'security.istio.io/v1beta1');
  const ra = parseValid('RequestAuthentication', text);
  assert.equal(ra.spec.jwtRules[0]?.jwks, JWKS);
  assert.equal(ra.spec.jwtRules[0]?.forwardOriginalToken, false);
  assert.equal(ra.spec.selector, undefined);
});

test('RequestAuthentication: errors name the field path', () => {
  assertProblem(rejected('RequestAuthentication', 'jwtRules:\n- jwksUri: http://x/jwks'), 'spec.jwtRules[0].issuer', 'required');
  assertProblem(rejected('RequestAuthentication', 'jwtRules:\n- issuer: a'), 'spec.jwtRules[0].jwksUri', 'jwksUri or jwks');
  assertProblem(rejected('RequestAuthentication', 'jwtRules:\n- issuer: a\n  jwksUri: ftp://x/jwks'), 'spec.jwtRules[0].jwksUri', 'http');
  assertProblem(rejected('RequestAuthentication', "jwtRules:\n- issuer: a\n  jwks: '{\"keys\":[]}'"), 'spec.jwtRules[0].jwks', 'non-empty');
  assertProblem(rejected('RequestAuthentication', 'jwtRules:\n- issuer: a\n  jwks: not json'), 'spec.jwtRules[0].jwks', 'JSON');
  assertProblem(rejected('RequestAuthentication', 'jwtRules:\n- issuer: a\n  jwksUri: http://x/\n  fromHeaders: [{ prefix: "B " }]'), 'spec.jwtRules[0].fromHeaders[0].name', 'required');
  assertProblem(rejected('RequestAuthentication', 'jwtRules:\n- issuer: a\n  jwksUri: http://x/\n  outputClaimToHeaders: [{ header: "bad header", claim: sub }]'), 'spec.jwtRules[0].outputClaimToHeaders[0].header');
  assertProblem(rejected('RequestAuthentication', 'jwtRules:\n- issuer: a\n  jwksUri: http://x/\n- issuer: a\n  jwksUri: http://y/'), 'spec.jwtRules[1].issuer', 'already used');
  assertProblem(rejected('RequestAuthentication', 'jwtRules:\n- issuer: a\n  jwksUri: http://x/\n  forwardOrignalToken: true'), 'spec.jwtRules[0]', 'forwardOrignalToken');
  assertProblem(rejected('RequestAuthentication', 'selector:\n  app: order\njwtRules: []'), 'spec.selector', 'app');
});

test('RequestAuthentication: targetRef and spaceDelimitedClaims are warned about, not errors', () => {
  const r = parse(withSpec('RequestAuthentication', 'targetRef: { kind: Gateway, name: gw }\njwtRules:\n- issuer: a\n  jwksUri: http://x/\n  spaceDelimitedClaims: [scope]'));
  assert.equal(r.resources.length, 1);
  assertProblem(r.problems, 'warning', 'spec.targetRef', 'not supported');
  assertProblem(r.problems, 'warning', 'spec.jwtRules[0].spaceDelimitedClaims', 'not supported');
});

test('VirtualService: "@request.auth.claims.<name>" header matches are accepted with the claim case kept', () => {
  const vs = parseValid(
    'VirtualService',
    withSpec('VirtualService', 'hosts: [a]\nhttp:\n- match:\n  - headers:\n      "@request.auth.claims.groupName": {exact: x}\n      X-Up: {exact: y}\n  route:\n  - destination: {host: a}'),
  );
  assert.deepEqual(Object.keys(vs.spec.http?.[0]?.match?.[0]?.headers ?? {}), ['@request.auth.claims.groupName', 'x-up']);
  assertProblem(
    rejected('VirtualService', 'hosts: [a]\nhttp:\n- match:\n  - headers:\n      "@request.auth.claims.": {exact: x}\n  route:\n  - destination: {host: a}'),
    'headers',
    'expected an HTTP header name',
  );
});
