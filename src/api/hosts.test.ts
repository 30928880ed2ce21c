import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostMatches, parseServiceHost, resolveHost, serviceHost, shortNames } from './hosts.js';

test('resolveHost expands short names Kubernetes-style', () => {
  assert.equal(resolveHost('order', 'shop'), 'order.shop.svc.cluster.local');
  assert.equal(resolveHost('order.shop', 'default'), 'order.shop.svc.cluster.local');
  assert.equal(resolveHost('order.shop.svc', 'default'), 'order.shop.svc.cluster.local');
  assert.equal(resolveHost('order.shop.svc.cluster.local', 'default'), 'order.shop.svc.cluster.local');
  assert.equal(resolveHost('order.shop.svc.cluster.local.', 'default'), 'order.shop.svc.cluster.local');
});

test('resolveHost leaves FQDNs, IPs and wildcards unchanged', () => {
  assert.equal(resolveHost('api.example.com', 'shop'), 'api.example.com');
  assert.equal(resolveHost('*.example.com', 'shop'), '*.example.com');
  assert.equal(resolveHost('*', 'shop'), '*');
  assert.equal(resolveHost('10.1.2.3', 'shop'), '10.1.2.3');
  assert.equal(resolveHost('::1', 'shop'), '::1');
});

test('resolveHost tells name.namespace from a public two-label name', () => {
  assert.equal(resolveHost('httpbin.org', 'shop'), 'httpbin.org');
  assert.equal(resolveHost('weft.dev', 'shop'), 'weft.dev');
  const namespaces = new Set(['shop', 'dev']);
  assert.equal(resolveHost('api.dev', 'shop', namespaces), 'api.dev.svc.cluster.local');
  assert.equal(resolveHost('order.payments', 'shop', namespaces), 'order.payments');
  assert.equal(resolveHost('order.shop', 'x', namespaces), 'order.shop.svc.cluster.local');
});

test('serviceHost and parseServiceHost', () => {
  assert.equal(serviceHost('order', 'shop'), 'order.shop.svc.cluster.local');
  assert.deepEqual(parseServiceHost('order.shop.svc.cluster.local'), { name: 'order', namespace: 'shop' });
  assert.equal(parseServiceHost('api.example.com'), undefined);
  assert.equal(parseServiceHost('a.b.c.svc.cluster.local'), undefined);
});

test('shortNames: bare name only from the same namespace', () => {
  const fqdn = 'order.default.svc.cluster.local';
  assert.deepEqual(shortNames(fqdn, 'default'), ['order', 'order.default', 'order.default.svc', fqdn]);
  assert.deepEqual(shortNames(fqdn, 'shop'), ['order.default', 'order.default.svc', fqdn]);
  assert.deepEqual(shortNames('api.example.com', 'default'), ['api.example.com']);
  for (const name of shortNames(fqdn, 'default')) assert.equal(resolveHost(name, 'default'), fqdn);
});

test('hostMatches: exact, "*" and "*.suffix" wildcards', () => {
  assert.ok(hostMatches('api.example.com', 'API.example.com'));
  assert.ok(hostMatches('*', 'anything.svc.cluster.local'));
  assert.ok(hostMatches('*.example.com', 'api.example.com'));
  assert.ok(hostMatches('*.example.com', 'a.b.example.com'));
  assert.ok(hostMatches('*.example.com', '*.api.example.com'));
  assert.ok(!hostMatches('*.example.com', 'example.com'));
  assert.ok(!hostMatches('api.example.com', 'web.example.com'));
});

test('resolveHost lower-cases host names (DNS is case-insensitive)', () => {
  assert.equal(resolveHost('Reviews', 'default'), 'reviews.default.svc.cluster.local');
  assert.equal(resolveHost('Web.Default.svc.cluster.local', 'default'), 'web.default.svc.cluster.local');
  assert.equal(resolveHost('HTTPBIN.org', 'default'), 'httpbin.org');
});
