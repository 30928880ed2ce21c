// Istio semantics end to end at unit level: AuthorizationPolicy YAML → translation (the RBAC JSON
// the control plane sends) → the proxy's decoder → the evaluator, for every field and its not-form.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadResources, proxyOf, sidecarMetadata, snapshotOf } from '../../../control/translate/golden.js';
import { authzFilters } from '../../../control/translate/authz.js';
import { decodeHttpRbac, decodeNetworkRbac } from './decode.js';
import { authorize, type RbacDecision } from './evaluate.js';
import type { RbacEngine, RbacInput } from './types.js';

const NS = 'foo';

function policies(yaml: string, labels: Record<string, string> = { app: 'httpbin' }): { http: RbacEngine[]; tcp: RbacEngine[] } {
  const snap = snapshotOf(loadResources(yaml));
  const f = authzFilters(snap, proxyOf(sidecarMetadata({ NAMESPACE: NS, LABELS: labels })));
  const dec = (list: typeof f.http, network: boolean): RbacEngine[] =>
    list.map((j, i) => {
      const tc = j.typed_config as Record<string, unknown>;
      const e = network ? decodeNetworkRbac(tc, `f[${i}]`) : decodeHttpRbac(tc, `f[${i}]`);
      assert.ok(e);
      return e;
    });
  return { http: dec(f.http, false), tcp: dec(f.tcp, true) };
}

/** One AuthorizationPolicy document in namespace foo. */
function ap(spec: string, name = 'p', namespace = NS): string {
  const body = spec.split('\n').map((l) => `  ${l}`).join('\n');
  return `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${body}\n---\n`;
}

function req(over: Partial<RbacInput> = {}): RbacInput {
  return {
    peerPrincipal: undefined,
    requestAuth: undefined,
    sourceIp: '127.0.48.2',
    sourcePort: 40000,
    remoteIp: '127.0.48.2',
    destinationIp: '127.0.48.1',
    destinationPort: 8000,
    sni: undefined,
    headers: [],
    method: 'GET',
    path: '/',
    host: 'httpbin.foo:8000',
    ...over,
  };
}

const allowed = (d: RbacDecision): boolean => d.allowed;
const check = (engines: RbacEngine[], over: Partial<RbacInput> = {}): boolean => allowed(authorize(engines, req(over)));

/** ALLOW policy with one rule; asserts `yes` inputs are allowed and `no` inputs denied. */
function allowCase(rule: string, yes: Partial<RbacInput>[], no: Partial<RbacInput>[]): void {
  const { http } = policies(ap(`action: ALLOW\nrules:\n- ${rule.split('\n').join('\n  ')}`));
  for (const y of yes) assert.equal(check(http, y), true, `expected allow: ${JSON.stringify(y)} by ${rule}`);
  for (const n of no) assert.equal(check(http, n), false, `expected deny: ${JSON.stringify(n)} by ${rule}`);
}

test('no policy: no filter, everything allowed', () => {
  const { http, tcp } = policies('apiVersion: weft.dev/v1alpha1\nkind: MeshConfig\nmetadata: {name: m}\nspec: {}\n');
  assert.equal(http.length + tcp.length, 0);
  assert.equal(authorize([], req()).allowed, true);
});

test('empty-policy semantics: ALLOW without rules denies all; rules: [{}] allows all; DENY without rules denies nothing', () => {
  const denyAll = policies(ap('{}'));
  assert.deepEqual(authorize(denyAll.http, req()), { allowed: false, logged: [], policy: 'none' });
  assert.equal(check(policies(ap('rules: [{}]')).http), true);
  assert.equal(check(policies(ap('action: DENY')).http), true);
  assert.equal(check(policies(ap('action: DENY\nrules: [{}]')).http), false);
});

test('DENY wins over ALLOW; once an ALLOW exists, unmatched requests are denied with policy "none"', () => {
  const yaml = ap('action: ALLOW\nrules: [{to: [{operation: {paths: ["/api/*"]}}]}]', 'allow-api') + ap('action: DENY\nrules: [{to: [{operation: {paths: ["/api/admin"]}}]}]', 'deny-admin');
  const { http } = policies(yaml);
  assert.equal(check(http, { path: '/api/users' }), true);
  assert.deepEqual(authorize(http, req({ path: '/api/admin' })), { allowed: false, logged: [], policy: 'ns[foo]-policy[deny-admin]-rule[0]' });
  assert.deepEqual(authorize(http, req({ path: '/other' })), { allowed: false, logged: [], policy: 'none' });
});

test('AUDIT only logs; scope: root namespace applies, other namespaces and unmatched selectors do not', () => {
  const yaml =
    ap('action: AUDIT\nrules: [{to: [{operation: {methods: [POST]}}]}]', 'audit') +
    ap('action: DENY\nrules: [{to: [{operation: {paths: ["/mesh-denied"]}}]}]', 'mesh', 'istio-system') +
    ap('action: DENY\nrules: [{}]', 'elsewhere', 'bar') +
    ap('selector: {matchLabels: {app: reviews}}\naction: DENY\nrules: [{}]', 'not-me');
  const { http } = policies(yaml);
  assert.deepEqual(authorize(http, req({ method: 'POST' })), { allowed: true, logged: ['ns[foo]-policy[audit]-rule[0]'] });
  assert.equal(check(http, { path: '/mesh-denied' }), false);
  assert.equal(check(http, { path: '/fine' }), true);
  const other = policies(ap('selector: {matchLabels: {app: httpbin}}\nrules: [{}]'), { app: 'reviews' });
  assert.equal(other.http.length, 0, 'selector must match the workload labels');
});

test('to.operation: paths (exact, prefix, suffix, *), methods, hosts (case, port), ports, and not-forms', () => {
  allowCase('to: [{operation: {paths: [/exact, "/pre/*", "*.png"]}}]', [{ path: '/exact' }, { path: '/pre/x' }, { path: '/a/b.png' }], [{ path: '/exact/' }, { path: '/pre' }, { path: '/EXACT' }]);
  allowCase('to: [{operation: {paths: ["*"]}}]', [{ path: '/anything' }], []);
  allowCase('to: [{operation: {notPaths: ["/admin*"]}}]', [{ path: '/x' }], [{ path: '/admin' }, { path: '/admin/y' }]);
  allowCase('to: [{operation: {methods: [GET, HEAD]}}]', [{ method: 'GET' }, { method: 'HEAD' }], [{ method: 'POST' }]);
  allowCase('to: [{operation: {notMethods: [DELETE]}}]', [{ method: 'GET' }], [{ method: 'DELETE' }]);
  allowCase('to: [{operation: {hosts: [httpbin.foo, "*.example.com"]}}]', [{ host: 'httpbin.foo' }, { host: 'HTTPBIN.FOO:8000' }, { host: 'api.Example.com' }], [{ host: 'httpbin.bar' }, { host: 'example.com' }]);
  allowCase('to: [{operation: {hosts: ["httpbin.foo:8000"]}}]', [{ host: 'HttpBin.Foo:8000' }], [{ host: 'httpbin.foo' }, { host: 'httpbin.foo:9000' }]);
  allowCase('to: [{operation: {notHosts: [evil.com]}}]', [{ host: 'good.com' }], [{ host: 'EVIL.com:80' }]);
  allowCase('to: [{operation: {ports: ["8000"]}}]', [{ destinationPort: 8000 }], [{ destinationPort: 9000 }]);
  allowCase('to: [{operation: {notPorts: ["9000"]}}]', [{ destinationPort: 8000 }], [{ destinationPort: 9000 }]);
});

test('from.source: principals, namespaces, requestPrincipals, ipBlocks, remoteIpBlocks and not-forms', () => {
  const sleep = 'cluster.local/ns/foo/sa/sleep';
  allowCase('from: [{source: {principals: [cluster.local/ns/foo/sa/sleep]}}]', [{ peerPrincipal: sleep }], [{ peerPrincipal: 'cluster.local/ns/foo/sa/other' }, {}]);
  allowCase('from: [{source: {principals: ["*"]}}]', [{ peerPrincipal: sleep }], [{}]);
  allowCase('from: [{source: {principals: ["cluster.local/ns/foo/*"]}}]', [{ peerPrincipal: sleep }], [{ peerPrincipal: 'cluster.local/ns/bar/sa/x' }]);
  allowCase('from: [{source: {notPrincipals: [cluster.local/ns/foo/sa/sleep]}}]', [{ peerPrincipal: 'cluster.local/ns/foo/sa/x' }, {}], [{ peerPrincipal: sleep }]);
  allowCase('from: [{source: {namespaces: [foo]}}]', [{ peerPrincipal: sleep }], [{ peerPrincipal: 'cluster.local/ns/foobar/sa/x' }, {}]);
  allowCase('from: [{source: {notNamespaces: [foo]}}]', [{ peerPrincipal: 'cluster.local/ns/bar/sa/x' }], [{ peerPrincipal: sleep }]);
  const jwt = { principal: 'https://issuer.example/alice', claims: { iss: 'https://issuer.example', sub: 'alice' } };
  allowCase('from: [{source: {requestPrincipals: ["https://issuer.example/*"]}}]', [{ requestAuth: jwt }], [{}, { requestAuth: { ...jwt, principal: 'https://other/alice' } }]);
  allowCase('from: [{source: {requestPrincipals: ["*"]}}]', [{ requestAuth: jwt }], [{}]);
  allowCase('from: [{source: {notRequestPrincipals: ["*"]}}]', [{}], [{ requestAuth: jwt }]);
  allowCase('from: [{source: {ipBlocks: [127.0.48.0/24, "::1"]}}]', [{ sourceIp: '127.0.48.9' }, { sourceIp: '::ffff:127.0.48.9' }, { sourceIp: '::1' }], [{ sourceIp: '127.0.49.1' }]);
  allowCase('from: [{source: {notIpBlocks: [127.0.48.7]}}]', [{ sourceIp: '127.0.48.8' }], [{ sourceIp: '127.0.48.7' }]);
  allowCase('from: [{source: {remoteIpBlocks: [10.0.0.0/8]}}]', [{ remoteIp: '10.1.2.3' }], [{ remoteIp: '11.0.0.1' }]);
  allowCase('from: [{source: {notRemoteIpBlocks: [10.0.0.0/8]}}]', [{ remoteIp: '11.0.0.1' }], [{ remoteIp: '10.1.2.3' }]);
});

test('fields AND, values OR, rules and from/to entries OR', () => {
  allowCase('from: [{source: {ipBlocks: [127.0.48.0/24]}}]\nto: [{operation: {methods: [GET]}}]', [{}], [{ method: 'POST' }, { sourceIp: '10.0.0.1' }]);
  const { http } = policies(ap('rules:\n- to: [{operation: {methods: [GET]}}, {operation: {paths: [/p]}}]\n- from: [{source: {ipBlocks: [10.0.0.1]}}]'));
  assert.equal(check(http, { method: 'GET' }), true);
  assert.equal(check(http, { method: 'POST', path: '/p' }), true);
  assert.equal(check(http, { method: 'POST', sourceIp: '10.0.0.1' }), true);
  assert.equal(check(http, { method: 'POST' }), false);
});

test('when: headers, source/remote/destination ip, namespace, principal, ports, sni, request.auth.* and nested claims', () => {
  const when = (key: string, values: string, yes: Partial<RbacInput>[], no: Partial<RbacInput>[], form = 'values'): void =>
    allowCase(`when: [{key: "${key}", ${form}: ${values}}]`, yes, no);
  when('request.headers[X-User]', '[alice, "bob*"]', [{ headers: ['x-user', 'alice'] }, { headers: ['x-user', 'bobby'] }], [{ headers: ['x-user', 'carol'] }, {}]);
  when('request.headers[x-user]', '[alice]', [{ headers: ['x-user', 'bob'] }, {}], [{ headers: ['x-user', 'alice'] }], 'notValues');
  when('source.ip', '[127.0.48.0/24]', [{}], [{ sourceIp: '127.0.49.1' }]);
  when('remote.ip', '[10.0.0.0/8]', [{ remoteIp: '10.0.0.5' }], [{}]);
  when('destination.ip', '[127.0.48.1]', [{}], [{ destinationIp: '127.0.48.2' }]);
  when('destination.port', '["8000"]', [{}], [{ destinationPort: 8001 }]);
  when('destination.port', '["8000"]', [{ destinationPort: 8001 }], [{}], 'notValues');
  when('connection.sni', '["*.local"]', [{ sni: 'a.local' }], [{}, { sni: 'a.remote' }]);
  when('source.namespace', '[foo]', [{ peerPrincipal: 'cluster.local/ns/foo/sa/a' }], [{}]);
  when('source.principal', '[cluster.local/ns/foo/sa/a]', [{ peerPrincipal: 'cluster.local/ns/foo/sa/a' }], [{ peerPrincipal: 'cluster.local/ns/foo/sa/b' }]);
  const auth = (claims: Record<string, unknown>, principal = 'iss/sub'): Partial<RbacInput> => ({ requestAuth: { principal, claims } });
  when('request.auth.principal', '[iss/sub]', [auth({})], [auth({}, 'iss/other'), {}]);
  when('request.auth.audiences', '[api]', [auth({ aud: 'api' }), auth({ aud: ['web', 'api'] })], [auth({ aud: 'web' })]);
  when('request.auth.presenter', '[cli]', [auth({ azp: 'cli' })], [auth({ azp: 'web' })]);
  when('request.auth.claims[groups]', '[admin]', [auth({ groups: ['dev', 'admin'] }), auth({ groups: 'admin' })], [auth({ groups: ['dev'] }), {}]);
  when('request.auth.claims[org][team]', '[core]', [auth({ org: { team: 'core' } })], [auth({ org: { team: 'edge' } }), auth({ org: 'core' })]);
  when('request.auth.claims[groups]', '[admin]', [auth({ groups: ['dev'] })], [auth({ groups: ['admin'] })], 'notValues');
});

test('TCP: an ALLOW rule with HTTP-only fields is dropped; a DENY rule ignores them (denies more)', () => {
  const allow = policies(ap('rules:\n- to: [{operation: {methods: [GET], ports: ["9000"]}}]\n- to: [{operation: {ports: ["9001"]}}]'));
  assert.equal(check(allow.tcp, { destinationPort: 9000, headers: undefined, method: undefined }), false, 'rule 0 uses methods: dropped');
  assert.equal(check(allow.tcp, { destinationPort: 9001, headers: undefined, method: undefined }), true);
  const deny = policies(ap('action: DENY\nrules:\n- from: [{source: {ipBlocks: [127.0.48.0/24]}}]\n  to: [{operation: {paths: [/admin]}}]'));
  assert.equal(check(deny.tcp, { headers: undefined, method: undefined, path: undefined }), false, 'paths ignored on TCP: the source alone denies');
  assert.equal(check(deny.tcp, { sourceIp: '10.0.0.1', headers: undefined }), true);
  assert.equal(check(deny.http, { path: '/other' }), true, 'on HTTP the path still counts');
});
