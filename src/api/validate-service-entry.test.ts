import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

test('external HTTPS API with DNS resolution (Istio docs style)', () => {
  const se = parseValid('ServiceEntry', withSpec('ServiceEntry', `
    hosts:
    - api.dropboxapi.com
    - www.googleapis.com
    ports:
    - number: 443
      name: https
      protocol: TLS
    location: MESH_EXTERNAL
    resolution: DNS
  `));
  assert.deepEqual(se.spec, {
    hosts: ['api.dropboxapi.com', 'www.googleapis.com'],
    addresses: [],
    ports: [{ number: 443, name: 'https', protocol: 'TLS' }],
    location: 'MESH_EXTERNAL',
    resolution: 'DNS',
    endpoints: [],
    exportTo: [],
  });
});

test('defaults: location MESH_EXTERNAL, resolution NONE; protocol is upper-cased', () => {
  const se = parseValid('ServiceEntry', withSpec('ServiceEntry', `
    hosts: ["*.example.com"]
    addresses: [10.1.0.0/16, 192.168.1.1]
    ports: [{number: 80, name: web, protocol: http}]
  `));
  assert.equal(se.spec.location, 'MESH_EXTERNAL');
  assert.equal(se.spec.resolution, 'NONE');
  assert.equal(se.spec.ports[0]?.protocol, 'HTTP');
  assert.deepEqual(se.spec.addresses, ['10.1.0.0/16', '192.168.1.1']);
});

test('STATIC with endpoints (WorkloadEntry specs) and a workloadSelector form', () => {
  const se = parseValid('ServiceEntry', withSpec('ServiceEntry', `
    hosts: [mymongodb.somedomain]
    location: MESH_INTERNAL
    ports:
    - {number: 27018, name: mongo, protocol: TCP, targetPort: 27019}
    resolution: STATIC
    endpoints:
    - address: 2.2.2.2
      labels: {app: mongo}
    - address: 3.3.3.3
      ports: {mongo: 27020}
      weight: 2
      serviceAccount: mongo
      network: net-1
      locality: us-east1/us-east1-b
  `));
  assert.deepEqual(se.spec.endpoints, [
    { address: '2.2.2.2', ports: {}, labels: { app: 'mongo' } },
    { address: '3.3.3.3', ports: { mongo: 27020 }, labels: {}, weight: 2, serviceAccount: 'mongo', network: 'net-1', locality: 'us-east1/us-east1-b' },
  ]);
  assert.deepEqual(se.spec.ports[0], { number: 27018, name: 'mongo', protocol: 'TCP', targetPort: 27019 });
  const sel = parseValid('ServiceEntry', withSpec('ServiceEntry', `
    hosts: [details.bookinfo.com]
    location: MESH_INTERNAL
    ports: [{number: 80, name: http, protocol: HTTP}]
    resolution: STATIC
    workloadSelector: {labels: {app: details-legacy}}
  `));
  assert.deepEqual(sel.spec.workloadSelector, { labels: { app: 'details-legacy' } });
});

test('hosts required; "*" alone is rejected', () => {
  assert.deepEqual(rejected('ServiceEntry', 'ports: [{number: 80, name: http, protocol: HTTP}]'), ['spec.hosts: required: expected a non-empty list of hosts']);
  assertProblem(rejected('ServiceEntry', 'hosts: ["*"]'), 'spec.hosts[0]:', '"*" alone would capture all traffic');
});

test('ports: number 1..65535, name required and unique, protocol one of the supported ones', () => {
  const problems = rejected('ServiceEntry', `
    hosts: [a.example.com]
    ports:
    - {number: 0, name: http, protocol: HTTP}
    - {number: 81, protocol: HTTP}
    - {number: 82, name: http, protocol: HTTPX}
    - {number: 83, name: udp, protocol: UDP}
  `);
  assert.deepEqual(problems, [
    'spec.ports[0].number: expected an integer 1..65535, got 0',
    'spec.ports[1].name: required: expected a string',
    'spec.ports[2].protocol: expected one of HTTP, HTTP2, GRPC, TCP, HTTPS, TLS, got "HTTPX" (did you mean "HTTP"?)',
    'spec.ports[2].name: duplicate port name "http" (also at spec.ports[0].name)',
    'spec.ports[3].protocol: expected one of HTTP, HTTP2, GRPC, TCP, HTTPS, TLS, got "UDP"',
  ]);
});

test('MONGO, REDIS and MYSQL are carried as TCP with a warning; a missing protocol follows the port name', () => {
  const r = parse(withSpec('ServiceEntry', `
    hosts: [db.example.com]
    ports:
    - {number: 27017, name: mongo, protocol: MONGO}
    - {number: 6379, name: redis, protocol: Redis}
    - {number: 3306, name: tcp-mysql, protocol: MYSQL}
    - {number: 8080, name: http-alt}
    - {number: 9000, name: custom}
  `));
  assert.deepEqual(r.problems, [
    'warning spec.ports[0].protocol: protocol MONGO is treated as TCP (Weft has no MONGO-specific support)',
    'warning spec.ports[1].protocol: protocol REDIS is treated as TCP (Weft has no REDIS-specific support)',
    'warning spec.ports[2].protocol: protocol MYSQL is treated as TCP (Weft has no MYSQL-specific support)',
    'warning spec.ports[4].protocol: not set and port name "custom" has no protocol prefix (like "http-"); treating the port as TCP',
  ]);
  const se = r.resources[0];
  assert.ok(se?.kind === 'ServiceEntry');
  assert.deepEqual(se.spec.ports.map((p) => p.protocol), ['TCP', 'TCP', 'TCP', 'HTTP', 'TCP']);
});

test('location and resolution enums', () => {
  assert.deepEqual(rejected('ServiceEntry', 'hosts: [a.com]\nlocation: EXTERNAL\nresolution: dns'), [
    'spec.location: expected one of MESH_EXTERNAL, MESH_INTERNAL, got "EXTERNAL"',
    'spec.resolution: expected one of NONE, STATIC, DNS, DNS_ROUND_ROBIN, got "dns" (did you mean "DNS"?)',
  ]);
});

test('resolution rules: STATIC needs IP endpoints, NONE takes none, DNS cannot resolve a wildcard', () => {
  assert.deepEqual(rejected('ServiceEntry', 'hosts: [a.com]\nresolution: STATIC'), [
    'spec.endpoints: required: resolution STATIC needs endpoints or a workloadSelector',
  ]);
  assert.deepEqual(rejected('ServiceEntry', 'hosts: [a.com]\nresolution: STATIC\nendpoints: [{address: backend.a.com}]'), [
    'spec.endpoints[0].address: expected an IP address (resolution is STATIC), got "backend.a.com"',
  ]);
  assert.deepEqual(rejected('ServiceEntry', 'hosts: [a.com]\nendpoints: [{address: 1.1.1.1}]'), [
    'spec.endpoints: expected no endpoints with resolution NONE (use STATIC or DNS to route to endpoints)',
  ]);
  assertProblem(rejected('ServiceEntry', 'hosts: ["*.a.com"]\nresolution: DNS'), 'spec.hosts[0]:', 'got wildcard "*.a.com"');
  assertProblem(
    rejected('ServiceEntry', 'hosts: [a.com]\nresolution: STATIC\nendpoints: [{address: 1.1.1.1}]\nworkloadSelector: {labels: {app: a}}'),
    'spec.workloadSelector: expected either endpoints or workloadSelector, got both',
  );
  parseValid('ServiceEntry', withSpec('ServiceEntry', 'hosts: ["*.a.com"]\nresolution: DNS\nendpoints: [{address: proxy.a.com}]'));
});

test('subjectAltNames is warned about; endpoint typos are errors', () => {
  const r = parse(withSpec('ServiceEntry', 'hosts: [a.com]\nsubjectAltNames: ["spiffe://a"]'));
  assert.deepEqual(r.problems, ['warning spec.subjectAltNames: ignored: not supported yet']);
  assert.equal(r.resources.length, 1);
  assert.deepEqual(rejected('ServiceEntry', 'hosts: [a.com]\nresolution: DNS\nendpoints: [{adress: 1.1.1.1}]'), [
    'spec.endpoints[0].adress: unknown field "adress" (did you mean "address"?)',
    'spec.endpoints[0].address: required: expected a string',
  ]);
});
