// VirtualService route features: fault, mirror(s), headers, redirect, directResponse, corsPolicy
// read into the model; Istio's rules enforced with field paths; the manifest form round-trips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parseValid, rejected, withSpec } from './test-helpers.js';
import { toManifest } from './manifest.js';

const vs = (route: string): string => `hosts: [a]\nhttp:\n- ${route}`;
const routed = (extra: string): string => vs(`route: [{destination: {host: a}}]\n  ${extra}`);
const http0 = (spec: string) => parseValid('VirtualService', withSpec('VirtualService', spec)).spec.http[0];

test('fault: delay (percentage and the deprecated percent) and abort (http and grpc)', () => {
  assert.deepEqual(http0(routed('fault: {delay: {fixedDelay: 20ms, percentage: {value: 30}}, abort: {httpStatus: 503, percentage: {value: 50}}}'))?.fault, {
    delay: { fixedDelayMs: 20, percentage: 30 },
    abort: { httpStatus: 503, percentage: 50 },
  });
  assert.deepEqual(http0(routed('fault: {delay: {fixedDelay: 1s, percent: 10}, abort: {grpcStatus: UNAVAILABLE}}'))?.fault, {
    delay: { fixedDelayMs: 1000, percentage: 10 },
    abort: { grpcStatus: 'UNAVAILABLE', percentage: 0 },
  });
});

test('fault: bad values are errors with field paths', () => {
  assertProblem(rejected('VirtualService', routed('fault: {abort: {httpStatus: 503, grpcStatus: INTERNAL}}')), 'spec.http[0].fault.abort:', 'exactly one of httpStatus or grpcStatus');
  assertProblem(rejected('VirtualService', routed('fault: {abort: {httpStatus: 99}}')), 'spec.http[0].fault.abort.httpStatus:');
  assertProblem(rejected('VirtualService', routed('fault: {abort: {grpcStatus: NOPE}}')), 'spec.http[0].fault.abort.grpcStatus:');
  assertProblem(rejected('VirtualService', routed('fault: {delay: {percentage: {value: 5}}}')), 'spec.http[0].fault.delay.fixedDelay:', 'required');
  assertProblem(rejected('VirtualService', routed('fault: {delay: {fixedDelay: 1s, percentage: {value: 150}}}')), 'spec.http[0].fault.delay.percentage.value:', '0 to 100');
  assertProblem(rejected('VirtualService', routed('fault: {}')), 'spec.http[0].fault:', 'delay or abort');
});

test('mirror + mirrorPercentage, mirrorPercent, and the mirrors list', () => {
  assert.deepEqual(http0(routed('mirror: {host: b, subset: v2}\n  mirrorPercentage: {value: 25}\n  mirrors: [{destination: {host: c}, percentage: {value: 5}}]'))?.mirrors, [
    { destination: { host: 'b', subset: 'v2' }, percentage: 25 },
    { destination: { host: 'c' }, percentage: 5 },
  ]);
  assert.deepEqual(http0(routed('mirror: {host: b}\n  mirrorPercent: 40'))?.mirrors, [{ destination: { host: 'b' }, percentage: 40 }]);
  assertProblem(rejected('VirtualService', routed('mirror: {subset: v1}')), 'spec.http[0].mirror.host:', 'required');
});

test('headers: request/response set/add/remove at route level and per destination (names lower-cased)', () => {
  const r = http0(vs('headers: {request: {set: {X-A: "1"}, add: {x-b: "2"}, remove: [X-C]}, response: {remove: [server]}}\n  route: [{destination: {host: a}, headers: {response: {set: {x-d: "4"}}}}]'));
  assert.deepEqual(r?.headers, { request: { set: { 'x-a': '1' }, add: { 'x-b': '2' }, remove: ['x-c'] }, response: { remove: ['server'] } });
  assert.deepEqual(r?.route[0]?.headers, { response: { set: { 'x-d': '4' } } });
  assertProblem(rejected('VirtualService', routed('headers: {request: {set: {"bad header": "1"}}}')), 'spec.http[0].headers.request.set["bad header"]:', 'header name');
  assertProblem(rejected('VirtualService', routed('headers: {request: {append: {a: "1"}}}')), 'spec.http[0].headers.request.append:', 'unknown field');
});

test('redirect and directResponse replace route; both together or with route are errors', () => {
  assert.deepEqual(http0(vs('redirect: {uri: /new, authority: b, scheme: https, port: 8443, redirectCode: 302}'))?.redirect, { uri: '/new', authority: 'b', scheme: 'https', port: 8443, redirectCode: 302 });
  assert.deepEqual(http0(vs('redirect: {uri: /new}'))?.redirect, { uri: '/new', redirectCode: 301 });
  assert.deepEqual(http0(vs('directResponse: {status: 418, body: {string: teapot}}'))?.directResponse, { status: 418, body: 'teapot' });
  assertProblem(rejected('VirtualService', vs('redirect: {uri: /x}\n  route: [{destination: {host: a}}]')), 'spec.http[0].route:', 'cannot be used with redirect');
  assertProblem(rejected('VirtualService', vs('redirect: {uri: /x}\n  directResponse: {status: 200}')), 'spec.http[0].directResponse:', 'cannot be used together');
  assertProblem(rejected('VirtualService', vs('redirect: {redirectCode: 304}')), 'spec.http[0].redirect.redirectCode:');
  assertProblem(rejected('VirtualService', vs('directResponse: {status: 42}')), 'spec.http[0].directResponse.status:');
  assertProblem(rejected('VirtualService', vs('name: nothing')), 'spec.http[0].route:', 'required');
});

test('corsPolicy: origins (exact, prefix, regex), methods, headers, maxAge, allowCredentials', () => {
  assert.deepEqual(http0(routed('corsPolicy: {allowOrigins: [{exact: "https://a"}, {prefix: "https://b"}, {regex: ".*\\\\.c"}], allowMethods: [GET], allowHeaders: [x-h], exposeHeaders: [x-e], maxAge: 1m, allowCredentials: true}'))?.corsPolicy, {
    allowOrigins: [{ exact: 'https://a' }, { prefix: 'https://b' }, { regex: '.*\\.c' }],
    allowMethods: ['GET'],
    allowHeaders: ['x-h'],
    exposeHeaders: ['x-e'],
    maxAgeMs: 60_000,
    allowCredentials: true,
  });
  assertProblem(rejected('VirtualService', routed('corsPolicy: {allowOrigins: [{exact: a, prefix: b}]}')), 'spec.http[0].corsPolicy.allowOrigins[0]:', 'exactly one');
  assertProblem(rejected('VirtualService', routed('corsPolicy: {maxAge: 1500ms}')), 'spec.http[0].corsPolicy.maxAge:', 'whole seconds');
});

test('route features round-trip through the manifest form', () => {
  const text = withSpec('VirtualService', `hosts: [a]
http:
- route: [{destination: {host: a}, headers: {request: {set: {x-a: "1"}}}}]
  fault: {delay: {fixedDelay: 20ms, percentage: {value: 30}}, abort: {grpcStatus: INTERNAL, percentage: {value: 1.5}}}
  mirror: {host: b}
  mirrorPercentage: {value: 25}
  headers: {response: {add: {x-b: "2"}}}
  corsPolicy: {allowOrigins: [{exact: "https://a"}], maxAge: 24h}
- redirect: {uri: /n}
- directResponse: {status: 404, body: {string: gone}}`);
  const first = parseValid('VirtualService', text);
  const again = parseValid('VirtualService', JSON.stringify(toManifest(first)));
  assert.deepEqual(again.spec, first.spec);
});
