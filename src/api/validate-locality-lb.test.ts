import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseValid, rejected, withSpec } from './test-helpers.js';
import { checkLocality, localityText, parseLocality } from './locality.js';

const DR = (lls: string): string => `host: reviews\ntrafficPolicy:\n  loadBalancer:\n    localityLbSetting: ${lls}\n`;

test('localityLbSetting: enabled, failover and failoverPriority are read', () => {
  const dr = parseValid('DestinationRule', withSpec('DestinationRule', DR('{enabled: true, failover: [{from: us-east, to: eu-west}], failoverPriority: [topology.kubernetes.io/region, "env=prod"]}')));
  assert.deepEqual(dr.spec.trafficPolicy?.loadBalancer?.localityLbSetting, {
    enabled: true,
    failover: [{ from: 'us-east', to: 'eu-west' }],
    failoverPriority: ['topology.kubernetes.io/region', 'env=prod'],
  });
  const off = parseValid('DestinationRule', withSpec('DestinationRule', DR('{enabled: false}')));
  assert.deepEqual(off.spec.trafficPolicy?.loadBalancer?.localityLbSetting, { enabled: false });
});

test('localityLbSetting: failover regions are distinct regions, each source once; no distribute with failover', () => {
  const problems = rejected('DestinationRule', DR('{failover: [{from: r1, to: r1}, {from: r1/a, to: r2}, {from: r3, to: r4}, {from: r3, to: r5}, {to: r6}]}'));
  assert.ok(problems.includes('spec.trafficPolicy.loadBalancer.localityLbSetting.failover[0].to: expected a region other than "from" ("r1")'), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('spec.trafficPolicy.loadBalancer.localityLbSetting.failover[1].from: expected a region')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('spec.trafficPolicy.loadBalancer.localityLbSetting.failover[3].from: duplicate failover source region "r3"')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('spec.trafficPolicy.loadBalancer.localityLbSetting.failover[4].from: required')), problems.join('\n'));
  const both = rejected('DestinationRule', DR('{failover: [{from: r1, to: r2}], distribute: [{from: "r1/*", to: {"r2/*": 100}}]}'));
  assert.ok(both.some((p) => p.includes("only one of 'distribute' or 'failover'")), both.join('\n'));
});

test('Workload locality is validated like WorkloadEntry locality', () => {
  const w = parseValid('Workload', withSpec('Workload', 'service: s\nlocality: r1/a\ncommand: [x]\nports: [{name: http, containerPort: 8080, servicePort: 80}]'));
  assert.equal(w.spec.locality, 'r1/a');
  const problems = rejected('Workload', 'service: s\nlocality: r1//a\ncommand: [x]');
  assert.ok(problems.some((p) => p.startsWith('spec.locality: expected "region", "region/zone" or "region/zone/subzone"')), problems.join('\n'));
});

test('locality parsing and checks', () => {
  assert.deepEqual(parseLocality('r1/a/s1'), { region: 'r1', zone: 'a', subZone: 's1' });
  assert.deepEqual(parseLocality('r1'), { region: 'r1', zone: '', subZone: '' });
  assert.deepEqual(parseLocality(undefined), { region: '', zone: '', subZone: '' });
  assert.equal(localityText({ region: 'r1', zone: 'a', subZone: '' }), 'r1/a');
  assert.equal(checkLocality('r1/a/s/x'), 'expected "region", "region/zone" or "region/zone/subzone"');
  assert.equal(checkLocality('r1/a'), undefined);
});
