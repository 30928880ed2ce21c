import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { nonRe2Feature } from './re2.js';
import { assertProblem, parse, parseValid, rejected, testdata, withSpec } from './test-helpers.js';
import type { VirtualService } from './types.js';

test('bookinfo reviews: header match for jason, then weighted 80/20, timeout', () => {
  const r = parse(readFileSync(testdata('bookinfo', 'reviews.yaml'), 'utf8'));
  assert.deepEqual(r.problems, []);
  const vs = r.resources[0] as VirtualService;
  assert.equal(vs.kind, 'VirtualService');
  assert.deepEqual(vs.spec, {
    hosts: ['reviews'],
    gateways: [],
    exportTo: [],
    http: [
      {
        name: 'jason',
        match: [{ headers: { 'end-user': { exact: 'jason' } } }],
        route: [{ destination: { host: 'reviews', subset: 'v2' } }],
      },
      {
        name: 'default',
        match: [],
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 80 },
          { destination: { host: 'reviews', subset: 'v3' }, weight: 20 },
        ],
        timeoutMs: 1500,
      },
    ],
  });
});

test('uri, method, authority, queryParams, port, rewrite and the other match fields', () => {
  const vs = parseValid('VirtualService', withSpec('VirtualService', `
    hosts: [ratings.prod.svc.cluster.local]
    gateways: [mesh, istio-system/public]
    exportTo: ["."]
    http:
    - match:
      - name: v2-api
        uri: {prefix: /api/v2}
        method: {exact: GET}
        authority: {regex: "^ratings(:[0-9]+)?$"}
        queryParams: {debug: {exact: "1"}}
        headers: {X-Canary: {prefix: "yes"}}
        withoutHeaders: {x-skip: {exact: "1"}}
        ignoreUriCase: true
        port: 9080
        sourceLabels: {app: reviews}
        gateways: [mesh]
      rewrite: {uri: /v1, authority: ratings-v2}
      route:
      - destination: {host: ratings.prod.svc.cluster.local, subset: v2, port: {number: 9080}}
  `));
  const route = vs.spec.http[0];
  assert.deepEqual(route?.match[0], {
    name: 'v2-api',
    uri: { prefix: '/api/v2' },
    method: { exact: 'GET' },
    authority: { regex: '^ratings(:[0-9]+)?$' },
    queryParams: { debug: { exact: '1' } },
    headers: { 'x-canary': { prefix: 'yes' } },
    withoutHeaders: { 'x-skip': { exact: '1' } },
    ignoreUriCase: true,
    port: 9080,
    sourceLabels: { app: 'reviews' },
    gateways: ['mesh'],
  });
  assert.deepEqual(route?.rewrite, { uri: '/v1', authority: 'ratings-v2' });
  assert.deepEqual(route?.route[0]?.destination.port, { number: 9080 });
  assert.deepEqual(vs.spec.gateways, ['mesh', 'istio-system/public']);
});

test('hosts is required and non-empty', () => {
  assert.deepEqual(rejected('VirtualService', 'http: [{route: [{destination: {host: a}}]}]'), [
    'spec.hosts: required: expected a non-empty list of hosts',
  ]);
  assert.deepEqual(rejected('VirtualService', 'hosts: []\nhttp: [{route: [{destination: {host: a}}]}]'), [
    'spec.hosts: expected a non-empty list of hosts, got an empty list',
  ]);
  assertProblem(rejected('VirtualService', 'hosts: ["*"]\nhttp: [{route: [{destination: {host: a}}]}]'), 'spec.hosts[0]:', 'only allowed when the VirtualService is bound to gateways');
  assertProblem(rejected('VirtualService', 'hosts: ["a.*.com"]\nhttp: [{route: [{destination: {host: a}}]}]'), 'spec.hosts[0]:', 'wildcard');
});

test('route is required and non-empty; destination.host is required', () => {
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{match: [{uri: {prefix: /}}]}]'), [
    'spec.http[0].route: required: expected a non-empty list of destinations',
  ]);
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: []}]'), [
    'spec.http[0].route: expected a non-empty list of destinations, got an empty list',
  ]);
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: [{destination: {subset: v1}}]}]'), [
    'spec.http[0].route[0].destination.host: required: expected a string',
  ]);
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: [{weight: 100}]}]'), [
    'spec.http[0].route[0].destination: required: expected a map',
  ]);
  assertProblem(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: [{destination: {host: "*.a.com"}}]}]'), 'destination.host:', 'without wildcards');
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]'), [
    'spec.http: required: expected a list of http routes (Weft supports http, tcp and tls routes)',
  ]);
});

test('delegate instead of route: warned as not supported, and route is still required', () => {
  const problems = rejected('VirtualService', 'hosts: [a]\nhttp: [{delegate: {name: x}}]');
  assert.deepEqual(problems, [
    'warning spec.http[0].delegate: ignored: not supported yet',
    'spec.http[0].route: required: expected a non-empty list of destinations (delegate is not supported yet)',
  ]);
});

test('weight must be an integer 0..100', () => {
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: [{destination: {host: a}, weight: abc}]}]'), [
    'spec.http[0].route[0].weight: expected an integer 0..100, got "abc"',
  ]);
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: [{destination: {host: a}, weight: 101}]}]'), [
    'spec.http[0].route[0].weight: expected an integer 0..100, got 101',
  ]);
  assertProblem(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: [{destination: {host: a}, weight: "50"}]}]'), 'got "50" (remove the quotes)');
});

test('weights of several destinations must sum to 100; a single destination may omit it', () => {
  const spec = (w1: string, w2: string): string => `
    hosts: [reviews]
    http:
    - route:
      - destination: {host: reviews, subset: v1}
        ${w1}
      - destination: {host: reviews, subset: v3}
        ${w2}
  `;
  assert.deepEqual(rejected('VirtualService', spec('weight: 80', 'weight: 30')), [
    'spec.http[0].route: expected destination weights to sum to 100, got 110 (80 + 30; a missing weight counts as 0)',
  ]);
  assertProblem(rejected('VirtualService', spec('weight: 80', '')), 'got 80 (80 + 0');
  parseValid('VirtualService', withSpec('VirtualService', spec('weight: 100', 'weight: 0')));
  const single = parseValid('VirtualService', withSpec('VirtualService', 'hosts: [a]\nhttp: [{route: [{destination: {host: a}}]}]'));
  assert.equal(single.spec.http[0]?.route[0]?.weight, undefined);
});

test('port.number must be 1..65535', () => {
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: [{destination: {host: a, port: {number: 0}}}]}]'), [
    'spec.http[0].route[0].destination.port.number: expected an integer 1..65535, got 0',
  ]);
});

test('a string match needs exactly one of exact, prefix, regex', () => {
  const m = (match: string): string[] => rejected('VirtualService', `hosts: [a]\nhttp: [{match: [${match}], route: [{destination: {host: a}}]}]`);
  assert.deepEqual(m('{uri: {}}'), ['spec.http[0].match[0].uri: expected exactly one of exact, prefix or regex, got none']);
  assert.deepEqual(m('{uri: {exact: /a, prefix: /b}}'), ['spec.http[0].match[0].uri: expected exactly one of exact, prefix or regex, got exact and prefix']);
  assert.deepEqual(m('{uri: "/a"}'), ['spec.http[0].match[0].uri: expected a string match (one of exact, prefix or regex), got "/a"']);
  assert.deepEqual(m('{headers: {end-user: {exatc: jason}}}'), [
    'spec.http[0].match[0].headers.end-user.exatc: unknown field "exatc" (did you mean "exact"?)',
    'spec.http[0].match[0].headers.end-user: expected exactly one of exact, prefix or regex, got none',
  ]);
  assertProblem(m('{headers: {"bad header": {exact: x}}}'), 'expected an HTTP header name, got key "bad header"');
});

test('regexes must compile and be RE2', () => {
  const m = (re: string): string[] => rejected('VirtualService', `hosts: [a]\nhttp: [{match: [{uri: {regex: '${re}'}}], route: [{destination: {host: a}}]}]`);
  assertProblem(m('(?<=/api)/v1'), 'spec.http[0].match[0].uri.regex:', 'lookbehind "(?<=" is not RE2');
  assertProblem(m('(a)\\1'), 'backreference "\\1" is not RE2');
  assertProblem(m('/api(?!/internal)'), 'lookahead "(?!" is not RE2');
  assertProblem(m('/api/(unclosed'), 'expected a valid regular expression');
  assertProblem(m('(?i)/API'), 'without inline flags');
  assert.equal(nonRe2Feature('[\\1(?=]x'), undefined);
  assert.equal(nonRe2Feature('^/(?<version>v[0-9]+)/'), undefined);
});

test('timeout is a duration', () => {
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{timeout: 10, route: [{destination: {host: a}}]}]'), [
    'spec.http[0].timeout: expected a duration like "1.5s", "100ms" or "2m", got 10 (add a unit: "10s")',
  ]);
  const vs = parseValid('VirtualService', withSpec('VirtualService', 'hosts: [a]\nhttp: [{timeout: 250ms, route: [{destination: {host: a}}]}]'));
  assert.equal(vs.spec.http[0]?.timeoutMs, 250);
});

test('Istio fields Weft does not support yet are warnings; the resource still loads', () => {
  const r = parse(withSpec('VirtualService', `
    hosts: [reviews]
    http:
    - match: [{uri: {prefix: /}, scheme: {exact: https}}]
      fault: {delay: {fixedDelay: 5s, exponentialDelay: 1s}}
      route:
      - destination: {host: reviews}
  `));
  assert.equal(r.resources.length, 1);
  assert.deepEqual(r.problems, [
    'warning spec.http[0].match[0].scheme: ignored: not supported yet',
    'warning spec.http[0].fault.delay.exponentialDelay: ignored: not supported yet',
  ]);
});

test('tcp routes: match by port, weighted destinations; unsupported match fields warn', () => {
  const r = parse(withSpec('VirtualService', `
    hosts: [redis]
    tcp:
    - match: [{port: 6379, sourceLabels: {app: a}}]
      route:
      - {destination: {host: redis, subset: v1}, weight: 50}
      - {destination: {host: redis, subset: v2}, weight: 50}
  `));
  assert.deepEqual(r.problems, ['warning spec.tcp[0].match[0].sourceLabels: ignored: not supported yet']);
  const vs = r.resources[0] as { spec: { http: unknown[]; tcp?: unknown } };
  assert.deepEqual(vs.spec.http, []);
  assert.deepEqual(vs.spec.tcp, [
    { match: [{ port: 6379 }], route: [{ destination: { host: 'redis', subset: 'v1' }, weight: 50 }, { destination: { host: 'redis', subset: 'v2' }, weight: 50 }] },
  ]);
  assertProblem(rejected('VirtualService', 'hosts: [a]\ntcp: [{route: [{destination: {host: a}, weight: 60}, {destination: {host: b}, weight: 30}]}]'), 'spec.tcp[0].route:', 'sum to 100');
  assertProblem(rejected('VirtualService', 'hosts: [a]\ntcp: [{match: [{port: 0}], route: [{destination: {host: a}}]}]'), 'spec.tcp[0].match[0].port:');
});

test('tls routes: match by sniHosts (and port), weighted destinations; field paths on errors', () => {
  const r = parse(withSpec('VirtualService', `
    hosts: [api.example.com]
    tls:
    - match: [{sniHosts: [api.example.com, "*.api.example.com"], port: 443, sourceLabels: {app: a}}]
      route:
      - {destination: {host: api-v1}, weight: 80}
      - {destination: {host: api-v2, port: {number: 8443}}, weight: 20}
  `));
  assert.deepEqual(r.problems, ['warning spec.tls[0].match[0].sourceLabels: ignored: not supported yet']);
  const vs = r.resources[0] as { spec: { http: unknown[]; tls?: unknown } };
  assert.deepEqual(vs.spec.http, []);
  assert.deepEqual(vs.spec.tls, [
    {
      match: [{ sniHosts: ['api.example.com', '*.api.example.com'], port: 443 }],
      route: [{ destination: { host: 'api-v1' }, weight: 80 }, { destination: { host: 'api-v2', port: { number: 8443 } }, weight: 20 }],
    },
  ]);
  assertProblem(rejected('VirtualService', 'hosts: [a]\ntls: [{match: [{port: 443}], route: [{destination: {host: a}}]}]'), 'spec.tls[0].match[0].sniHosts:', 'required');
  assertProblem(rejected('VirtualService', 'hosts: [a]\ntls: [{match: [{sniHosts: []}], route: [{destination: {host: a}}]}]'), 'spec.tls[0].match[0].sniHosts:');
  assertProblem(rejected('VirtualService', 'hosts: [a]\ntls: [{match: [{sniHosts: ["a*b"]}], route: [{destination: {host: a}}]}]'), 'spec.tls[0].match[0].sniHosts[0]:');
  assertProblem(rejected('VirtualService', 'hosts: [a]\ntls: [{route: [{destination: {host: a}}]}]'), 'spec.tls[0].match:');
  assertProblem(rejected('VirtualService', 'hosts: [a]\ntls: [{match: [{sniHosts: [a]}], route: [{destination: {host: a}, weight: 60}, {destination: {host: b}, weight: 30}]}]'), 'spec.tls[0].route:', 'sum to 100');
  assertProblem(rejected('VirtualService', 'hosts: [a]\ntls: [{match: [{sniHosts: [a]}], route: [{destination: {host: a}}], redirect: {}}]'), 'spec.tls[0].redirect:');
});

test('a field that is not in Istio at all is an error with a suggestion', () => {
  assert.deepEqual(rejected('VirtualService', 'host: [a]\nhttp: [{route: [{destination: {host: a}}]}]'), [
    'spec.hosts: required: expected a non-empty list of hosts', // points at "spec:", so sorts first
    'spec.host: unknown field "host" (did you mean "hosts"?)',
  ]);
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{routes: [{destination: {host: a}}], route: [{destination: {host: a}}]}]'), [
    'spec.http[0].routes: unknown field "routes" (did you mean "route"?)',
  ]);
  assert.deepEqual(rejected('VirtualService', 'hosts: [a]\nhttp: [{route: [{destination: {host: a, subsett: v1}}]}]'), [
    'spec.http[0].route[0].destination.subsett: unknown field "subsett" (did you mean "subset"?)',
  ]);
});

test('gateways and exportTo entries are checked', () => {
  assertProblem(rejected('VirtualService', 'hosts: [a]\ngateways: ["a/b/c"]\nhttp: [{route: [{destination: {host: a}}]}]'), 'spec.gateways[0]:', 'expected "mesh"');
  assertProblem(rejected('VirtualService', 'hosts: [a]\nexportTo: ["Bad_NS"]\nhttp: [{route: [{destination: {host: a}}]}]'), 'spec.exportTo[0]:');
});
