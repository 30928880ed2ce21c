import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

test('AuthorizationPolicy: every source, operation and when field is read (v1 and v1beta1)', () => {
  const ap = parseValid('AuthorizationPolicy', withSpec('AuthorizationPolicy', `
    selector: {matchLabels: {app: httpbin}}
    action: DENY
    rules:
    - from:
      - source:
          principals: [cluster.local/ns/default/sa/sleep, "*"]
          notPrincipals: ["cluster.local/ns/dev/*"]
          requestPrincipals: ["https://issuer/*"]
          notRequestPrincipals: ["*"]
          namespaces: [prod]
          notNamespaces: [dev]
          ipBlocks: [10.0.0.0/8, 127.0.0.1]
          notIpBlocks: [10.1.0.0/16]
          remoteIpBlocks: [192.168.0.0/16]
          notRemoteIpBlocks: ["::1"]
      to:
      - operation:
          hosts: [example.com, "*.example.com"]
          notHosts: [admin.example.com]
          ports: ["8080", 9090]
          notPorts: ["22"]
          methods: [GET]
          notMethods: [DELETE]
          paths: [/api/*, "*/info", /exact]
          notPaths: [/admin*]
      when:
      - key: request.headers[x-user]
        values: [alice]
      - key: request.auth.claims[groups][admin]
        notValues: ["false"]
      - key: destination.port
        values: ["80"]
  `));
  assert.equal(ap.spec.action, 'DENY');
  assert.deepEqual(ap.spec.selector, { app: 'httpbin' });
  const rule = ap.spec.rules[0];
  assert.ok(rule);
  assert.deepEqual(rule.from[0]?.ipBlocks, ['10.0.0.0/8', '127.0.0.1']);
  assert.deepEqual(rule.to[0]?.ports, [8080, 9090]);
  assert.deepEqual(rule.to[0]?.notPorts, [22]);
  assert.deepEqual(rule.when[1], { key: 'request.auth.claims[groups][admin]', values: [], notValues: ['false'] });
  const beta = parse(withSpec('AuthorizationPolicy', '{}').replace('security.istio.io/v1', 'security.istio.io/v1beta1'));
  assert.deepEqual(beta.problems, []);
});

test('AuthorizationPolicy: empty spec is ALLOW with no rules; rules: [{}] is one empty rule', () => {
  const deny = parseValid('AuthorizationPolicy', withSpec('AuthorizationPolicy', '{}'));
  assert.deepEqual(deny.spec, { action: 'ALLOW', rules: [] });
  const all = parseValid('AuthorizationPolicy', withSpec('AuthorizationPolicy', 'rules: [{}]'));
  assert.deepEqual(all.spec.rules, [{ from: [], to: [], when: [] }]);
});

test('AuthorizationPolicy: CUSTOM, provider and targetRef(s) are rejected with a reason', () => {
  assertProblem(rejected('AuthorizationPolicy', 'action: CUSTOM\nprovider: {name: opa}'), 'spec.action', 'CUSTOM', 'not supported');
  assertProblem(rejected('AuthorizationPolicy', 'action: CUSTOM'), 'spec.action', 'not supported');
  assertProblem(rejected('AuthorizationPolicy', 'targetRef: {kind: Gateway, name: gw}'), 'spec.targetRef', 'not supported');
  assertProblem(rejected('AuthorizationPolicy', 'targetRefs: [{kind: Service, name: s}]'), 'spec.targetRefs', 'not supported');
  assertProblem(rejected('AuthorizationPolicy', 'action: REJECT'), 'spec.action', 'ALLOW, DENY, AUDIT');
});

test('AuthorizationPolicy: field paths name each bad value', () => {
  const problems = rejected('AuthorizationPolicy', `
    rules:
    - from:
      - source: {ipBlocks: [10.0.0.300]}
      - source: {}
      to:
      - operation: {ports: ["http"], paths: ["/a*b"]}
      - operation: {methods: [GET], path: [/x]}
      when:
      - key: experimental.envoy.filters.http.foo
        values: [x]
      - key: source.ip
        values: [not-an-ip]
      - key: request.headers[]
        values: [x]
      - key: request.auth.nope
        values: [x]
      - key: destination.port
      - key: destination.port
        values: ["99999"]
  `);
  assertProblem(problems, 'spec.rules[0].from[0].source.ipBlocks[0]', 'IP address or CIDR');
  assertProblem(problems, 'spec.rules[0].from[1].source', 'must not be empty');
  assertProblem(problems, 'spec.rules[0].to[0].operation.ports[0]', 'port');
  assertProblem(problems, 'spec.rules[0].to[0].operation.paths[0]', 'prefix*');
  assertProblem(problems, 'spec.rules[0].to[1].operation.path', 'paths');
  assertProblem(problems, 'spec.rules[0].when[0].key', 'experimental', 'not supported');
  assertProblem(problems, 'spec.rules[0].when[1].values[0]', 'IP address');
  assertProblem(problems, 'spec.rules[0].when[2].key', 'request.headers[<name>]');
  assertProblem(problems, 'spec.rules[0].when[3].key', 'unknown key');
  assertProblem(problems, 'spec.rules[0].when[4]', 'needs values or notValues');
  assertProblem(problems, 'spec.rules[0].when[5].values[0]', 'port');
});

test('AuthorizationPolicy: wrong apiVersion group is an error', () => {
  const r = parse(withSpec('AuthorizationPolicy', '{}').replace('security.istio.io/v1', 'networking.istio.io/v1'));
  assertProblem(r.problems, 'apiVersion', 'security.istio.io/v1');
});
