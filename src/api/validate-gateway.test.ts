import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

test('an ingress gateway with HTTP and TCP servers', () => {
  const gw = parseValid('Gateway', withSpec('Gateway', `
    selector:
      istio: ingressgateway
    servers:
    - name: web
      port: {number: 80, name: http, protocol: HTTP}
      hosts: ["*"]
    - port: {number: 8443, name: http2-api, protocol: http2}
      hosts: [shop/api.example.com, "*/docs.example.com", ./local.example.com, "*.example.com"]
    - port: {number: 31400, name: tcp, protocol: TCP}
      hosts: ["*"]
  `));
  assert.deepEqual(gw.spec, {
    selector: { istio: 'ingressgateway' },
    servers: [
      { name: 'web', port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] },
      {
        port: { number: 8443, name: 'http2-api', protocol: 'HTTP2' },
        hosts: ['shop/api.example.com', '*/docs.example.com', './local.example.com', '*.example.com'],
      },
      { port: { number: 31400, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] },
    ],
  });
});

test('selector defaults to {}; servers are required', () => {
  assert.deepEqual(parseValid('Gateway', withSpec('Gateway', 'servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]')).spec.selector, {});
  assert.deepEqual(rejected('Gateway', 'selector: {istio: ingressgateway}'), ['spec.servers: required: expected a non-empty list of servers']);
});

test('server port fields and hosts are checked', () => {
  const problems = rejected('Gateway', `
    servers:
    - port: {number: 80, protocol: HTTP}
      hosts: []
    - port: {number: 99999, name: web, protocol: SMTP}
      hosts: ["a/b/c", "ns/*.*.com", "Bad_NS/x.com"]
    - hosts: ["*"]
  `);
  assert.deepEqual(problems, [
    'spec.servers[0].port.name: required: expected a string',
    'spec.servers[0].hosts: expected a non-empty list of hosts, got an empty list',
    'spec.servers[1].port.number: expected an integer 1..65535, got 99999',
    'spec.servers[1].port.protocol: expected one of HTTP, HTTP2, GRPC, TCP, HTTPS, TLS, got "SMTP"',
    'spec.servers[1].hosts[0]: expected "host", "namespace/host", "*/host" or "./host", got "a/b/c"',
    'spec.servers[1].hosts[1]: expected "host", "namespace/host", "*/host" or "./host", where host is "*", "*.example.com" or a host name, got "ns/*.*.com"',
    'spec.servers[1].hosts[2]: expected the namespace part to be "*", "." or a namespace name, got "Bad_NS/x.com"',
    'spec.servers[2].port: required: expected a map',
  ]);
});

test('port names must be unique across servers', () => {
  assertProblem(
    rejected('Gateway', 'servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [a.com]}, {port: {number: 81, name: http, protocol: HTTP}, hosts: [b.com]}]'),
    'spec.servers[1].port.name: duplicate port name "http" (also at spec.servers[0].port.name)',
  );
});

test('tls settings are warned about and ignored; typos are errors', () => {
  const r = parse(withSpec('Gateway', `
    servers:
    - port: {number: 443, name: https, protocol: HTTPS}
      hosts: ["*"]
      tls: {mode: SIMPLE, credentialName: cert}
  `));
  assert.deepEqual(r.problems, [
    'warning spec.servers[0].port.protocol: ignored: HTTPS gateway servers are not supported yet (only HTTP); this server gets no listener',
    'warning spec.servers[0].tls: ignored: not supported yet',
  ]);
  assert.equal(r.resources.length, 1);
  assert.deepEqual(rejected('Gateway', 'servers: [{port: {number: 80, name: http, protocol: HTTP}, host: ["*"]}]'), [
    'spec.servers[0].host: unknown field "host" (did you mean "hosts"?)',
    'spec.servers[0].hosts: required: expected a non-empty list of hosts',
  ]);
});
