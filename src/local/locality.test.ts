// `weft up` carries a Workload's locality to both ends: the WorkloadEntries it registers (EDS
// groups endpoints by it) and its sidecars' --locality flag (the proxy's xDS node.locality).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalWorkload } from '../api/types.js';
import { buildPlan, type PlanOptions } from './plan.js';
import { workloadEntryFor } from './registry-file.js';

function workload(name: string, locality?: string): LocalWorkload {
  return {
    apiVersion: 'weft.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name, namespace: 'shop', labels: { app: 'reviews' }, annotations: {} },
    spec: {
      service: 'reviews',
      serviceAccount: 'reviews',
      replicas: 2,
      ports: [{ name: 'http', containerPort: 9080, servicePort: 80, protocol: 'HTTP' }],
      command: ['node', 'reviews.js'],
      env: {},
      ...(locality ? { locality } : {}),
    },
  };
}

const options: PlanOptions = {
  configDir: '/cfg',
  stateDir: '/cfg/.weft',
  gatewayPort: 8080,
  xdsPort: 15010,
  httpPort: 15014,
  subnet: '127.0.1',
  gatewayIp: '127.0.0.1',
  packageRoot: '/opt/weft',
  nodePath: '/usr/bin/node',
  baseEnv: {},
};

test('a Workload locality reaches its WorkloadEntries and its sidecars (--locality); none: neither', () => {
  const r = buildPlan([workload('reviews-a', 'r1/a/s1'), workload('reviews-b')], options);
  assert.ok(r.ok);
  const byName = new Map(r.plan.instances.map((i) => [i.name, i]));
  assert.equal(workloadEntryFor(byName.get('reviews-a-1')!).spec.locality, 'r1/a/s1');
  assert.equal('locality' in workloadEntryFor(byName.get('reviews-b-0')!).spec, false);
  const args = (name: string): string[] => r.plan.processes.find((p) => p.name === `${name}.sidecar`)?.args ?? [];
  const a = args('reviews-a-0');
  assert.equal(a[a.indexOf('--locality') + 1], 'r1/a/s1');
  assert.equal(args('reviews-b-0').includes('--locality'), false);
});
