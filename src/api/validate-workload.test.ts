import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parseValid, rejected, withSpec } from './test-helpers.js';

test('a local workload with defaults filled in', () => {
  const w = parseValid('Workload', withSpec('Workload', `
    service: shipping
    ports:
    - name: http
      containerPort: 8080
      servicePort: 80
    command: [node, shipping.js]
  `));
  assert.deepEqual(w.spec, {
    service: 'shipping',
    serviceAccount: 'default',
    replicas: 1,
    ports: [{ name: 'http', containerPort: 8080, servicePort: 80, protocol: 'HTTP' }],
    command: ['node', 'shipping.js'],
    env: {},
  });
});

test('every field set', () => {
  const w = parseValid('Workload', withSpec('Workload', `
    service: orders
    serviceAccount: orders-sa
    replicas: 0
    ports:
    - {name: grpc-api, containerPort: 9001, servicePort: 9000}
    - {name: web, containerPort: 8081, servicePort: 8080, protocol: http2}
    command: ["python3", "-m", "orders"]
    env: {LOG_LEVEL: debug, PORT: "9001", EMPTY: ""}
    workingDir: ./orders
  `));
  assert.deepEqual(w.spec, {
    service: 'orders',
    serviceAccount: 'orders-sa',
    replicas: 0,
    ports: [
      { name: 'grpc-api', containerPort: 9001, servicePort: 9000, protocol: 'GRPC' },
      { name: 'web', containerPort: 8081, servicePort: 8080, protocol: 'HTTP2' },
    ],
    command: ['python3', '-m', 'orders'],
    env: { LOG_LEVEL: 'debug', PORT: '9001', EMPTY: '' },
    workingDir: './orders',
  });
});

test('protocol from the port name prefix, Istio-style, with HTTP as the default', () => {
  const w = parseValid('Workload', withSpec('Workload', `
    service: s
    command: [x]
    ports:
    - {name: http, containerPort: 1001, servicePort: 2001}
    - {name: http-web, containerPort: 1002, servicePort: 2002}
    - {name: grpc, containerPort: 1003, servicePort: 2003}
    - {name: http2, containerPort: 1004, servicePort: 2004}
    - {name: tcp-db, containerPort: 1005, servicePort: 2005}
    - {name: tls, containerPort: 1006, servicePort: 2006}
    - {name: redis, containerPort: 1007, servicePort: 2007}
    - {name: api, containerPort: 1008, servicePort: 2008}
  `));
  assert.deepEqual(w.spec.ports.map((p) => p.protocol), ['HTTP', 'HTTP', 'GRPC', 'HTTP2', 'TCP', 'TLS', 'TCP', 'HTTP']);
});

test('appProtocol names the protocol ahead of the port name; protocol wins over both', () => {
  const w = parseValid('Workload', withSpec('Workload', `
    service: s
    command: [x]
    ports:
    - {name: api, appProtocol: grpc, containerPort: 1001, servicePort: 2001}
    - {name: web, appProtocol: http2, containerPort: 1002, servicePort: 2002}
    - {name: http-db, appProtocol: tcp, containerPort: 1003, servicePort: 2003}
    - {name: x, appProtocol: grpc, protocol: HTTP, containerPort: 1004, servicePort: 2004}
  `));
  assert.deepEqual(w.spec.ports.map((p) => p.protocol), ['GRPC', 'HTTP2', 'TCP', 'HTTP']);
  assertProblem(
    rejected('Workload', 'service: s\ncommand: [x]\nports: [{name: a, appProtocol: smtp, containerPort: 1, servicePort: 2}]'),
    'spec.ports[0].appProtocol: expected one of http, http2, grpc, tcp, tls, https, got "smtp"',
  );
});

test('service and command are required; command must be a list of strings', () => {
  assert.deepEqual(rejected('Workload', 'replicas: 1'), [
    'spec.service: required: expected a string',
    'spec.command: required: expected a non-empty list of strings like ["node", "server.js"]',
  ]);
  assert.deepEqual(rejected('Workload', 'service: s\ncommand: node server.js'), [
    'spec.command: expected a non-empty list of strings like ["node", "server.js"], got "node server.js"',
  ]);
  assert.deepEqual(rejected('Workload', 'service: s\ncommand: []'), [
    'spec.command: expected a non-empty list of strings like ["node", "server.js"], got an empty list',
  ]);
  assert.deepEqual(rejected('Workload', 'service: s\ncommand: [python3, -m, 8000]'), [
    'spec.command[2]: expected a string, got 8000 (a number: quote it as "8000")',
  ]);
  assertProblem(rejected('Workload', 'service: Shipping.v1\ncommand: [x]'), 'spec.service: expected a DNS label', 'got "Shipping.v1"');
});

test('replicas is an integer >= 0', () => {
  assert.deepEqual(rejected('Workload', 'service: s\ncommand: [x]\nreplicas: -1'), ['spec.replicas: expected an integer >= 0, got -1']);
  assert.deepEqual(rejected('Workload', 'service: s\ncommand: [x]\nreplicas: 1.5'), ['spec.replicas: expected an integer >= 0, got 1.5']);
});

test('env values must be strings: numbers and booleans are errors asking to quote', () => {
  assert.deepEqual(rejected('Workload', 'service: s\ncommand: [x]\nenv: {PORT: 8080, DEBUG: true, "1BAD": x}'), [
    'spec.env.PORT: expected a string, got 8080 (a number: quote it as "8080")',
    'spec.env.DEBUG: expected a string, got true (a boolean: quote it as "true")',
    'spec.env["1BAD"]: expected an environment variable name (letters, digits and "_", not starting with a digit), got key "1BAD"',
  ]);
});

test('servicePort must differ from containerPort, and the message says why', () => {
  const problems = rejected('Workload', 'service: s\ncommand: [x]\nports: [{name: http, containerPort: 8080, servicePort: 8080}]');
  assert.equal(problems.length, 1);
  assertProblem(
    problems,
    'spec.ports[0].servicePort: expected a port different from containerPort 8080, got 8080',
    'the sidecar listens on the service port and the app on the container port',
    "both on the instance's own loopback address",
  );
  // servicePort defaults to containerPort, so leaving it out is the same mistake.
  assertProblem(
    rejected('Workload', 'service: s\ncommand: [x]\nports: [{name: http, containerPort: 8080}]'),
    'spec.ports[0].servicePort:',
    'servicePort defaults to containerPort when omitted',
  );
});

test('ports: names unique, no port bound twice on the instance, sidecar ports reserved', () => {
  const problems = rejected('Workload', `
    service: s
    command: [x]
    ports:
    - {name: http, containerPort: 8080, servicePort: 80}
    - {name: http, containerPort: 80, servicePort: 9090}
    - {name: admin, containerPort: 15000, servicePort: 15090}
    - {name: grpc, containerPort: 70000, servicePort: 81, protocol: udp}
  `);
  assert.deepEqual(problems, [
    'spec.ports[1].name: duplicate port name "http" (also at spec.ports[0].name)',
    'spec.ports[1].containerPort: expected a port not already used on the instance\'s address, got 80 (also used by spec.ports[0].servicePort)',
    "spec.ports[2].containerPort: expected a port the sidecar does not use, got 15000 (reserved for the sidecar's proxy admin)",
    "spec.ports[2].servicePort: expected a port the sidecar does not use, got 15090 (reserved for the sidecar's Prometheus metrics)",
    'spec.ports[3].containerPort: expected an integer 1..65535, got 70000',
    'spec.ports[3].protocol: expected one of HTTP, HTTP2, GRPC, TCP, HTTPS, TLS, got "udp"',
  ]);
});

test('typos are errors with suggestions', () => {
  assert.deepEqual(rejected('Workload', 'service: s\ncommand: [x]\nports: [{name: http, containerport: 8080, servicePort: 80}]'), [
    'spec.ports[0].containerport: unknown field "containerport" (did you mean "containerPort"?)',
    'spec.ports[0].containerPort: required: expected an integer 1..65535',
  ]);
  assert.deepEqual(rejected('Workload', 'service: s\ncommand: [x]\nreplica: 2'), ['spec.replica: unknown field "replica" (did you mean "replicas"?)']);
});
