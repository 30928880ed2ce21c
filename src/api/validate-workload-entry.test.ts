import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parseValid, rejected, withSpec } from './test-helpers.js';

test('a VM workload (Istio docs style)', () => {
  const we = parseValid('WorkloadEntry', withSpec('WorkloadEntry', `
    serviceAccount: details-legacy
    address: 2.2.2.2
    labels:
      app: details-legacy
      instance-id: vm1
    ports:
      http: 9080
    weight: 5
    network: vm-net
    locality: us-west/zone-a
  `));
  assert.deepEqual(we.spec, {
    address: '2.2.2.2',
    ports: { http: 9080 },
    labels: { app: 'details-legacy', 'instance-id': 'vm1' },
    serviceAccount: 'details-legacy',
    weight: 5,
    network: 'vm-net',
    locality: 'us-west/zone-a',
  });
});

test('address may be an IPv6 address or a host name; defaults for ports and labels', () => {
  assert.equal(parseValid('WorkloadEntry', withSpec('WorkloadEntry', 'address: "fd00::1"')).spec.address, 'fd00::1');
  const we = parseValid('WorkloadEntry', withSpec('WorkloadEntry', 'address: vm1.corp.example.com'));
  assert.deepEqual(we.spec, { address: 'vm1.corp.example.com', ports: {}, labels: {} });
});

test('address is required and must be an IP or host name', () => {
  assert.deepEqual(rejected('WorkloadEntry', 'labels: {app: a}'), ['spec.address: required: expected a string']);
  assertProblem(rejected('WorkloadEntry', 'address: "not an address"'), 'spec.address: expected an IP address or a host name, got "not an address"');
});

test('ports map to numbers 1..65535; weight is a non-negative integer; locality has at most 3 parts', () => {
  assert.deepEqual(rejected('WorkloadEntry', 'address: 1.1.1.1\nports: {http: 70000, grpc: "x"}\nweight: -1\nlocality: a/b/c/d'), [
    'spec.ports.http: expected an integer 1..65535, got 70000',
    'spec.ports.grpc: expected an integer 1..65535, got "x"',
    'spec.weight: expected an integer 0..4294967295, got -1',
    'spec.locality: expected "region", "region/zone" or "region/zone/subzone", got "a/b/c/d"',
  ]);
  assert.deepEqual(rejected('WorkloadEntry', 'address: 1.1.1.1\nports: [9080]'), ['spec.ports: expected a map of port name to port number, got a list']);
});
