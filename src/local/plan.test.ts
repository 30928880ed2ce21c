import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delimiter, join } from 'node:path';
import type { LocalWorkload, Resource } from '../api/types.js';
import { buildPlan, formatLabels, Stage } from './plan.js';
import type { Plan, PlanOptions, ProcessSpec } from './plan.js';

function workload(name: string, over: Partial<LocalWorkload['spec']> = {}, ns = 'shop', file = '/cfg/shop/workloads.yaml'): LocalWorkload {
  return {
    apiVersion: 'weft.dev/v1alpha1',
    kind: 'Workload',
    metadata: { name, namespace: ns, labels: { app: name.replace(/-v\d+$/, ''), version: 'v1' }, annotations: {} },
    spec: {
      service: name.replace(/-v\d+$/, ''),
      serviceAccount: `sa-${name}`,
      replicas: 1,
      ports: [{ name: 'http', containerPort: 9080, servicePort: 9080, protocol: 'HTTP' }],
      command: ['tsx', 'server.ts', '--flag'],
      env: { GREETING: 'hi' },
      ...over,
    },
    source: { file, document: 1 },
  };
}

const options: PlanOptions = {
  configDir: '/cfg/shop',
  stateDir: '/cfg/shop/.weft',
  gatewayPort: 8080,
  xdsPort: 15010,
  httpPort: 15014,
  subnet: '127.0.1',
  gatewayIp: '127.0.0.1',
  packageRoot: '/opt/weft',
  nodePath: '/usr/bin/node',
  baseEnv: { PATH: '/usr/bin', HOME: '/home/u', UNSET: undefined, PORT: '1' },
};

function mustPlan(resources: Resource[], o: PlanOptions = options): Plan {
  const r = buildPlan(resources, o);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.plan;
}

function byName(plan: Plan, name: string): ProcessSpec {
  const p = plan.processes.find((x) => x.name === name);
  assert.ok(p, `no process ${name}; have ${plan.processes.map((x) => x.name).join(', ')}`);
  return p;
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

test('processes: control plane, then gateway and sidecars, then apps, with stages in that order', () => {
  const plan = mustPlan([workload('reviews-v1', { replicas: 2 }), workload('details-v1')]);
  assert.deepEqual(
    plan.processes.map((p) => `${p.stage}:${p.role}:${p.name}`),
    [
      '0:control-plane:control-plane',
      '1:gateway:istio-ingressgateway-0',
      '1:sidecar:details-v1-0.sidecar',
      '1:sidecar:reviews-v1-0.sidecar',
      '1:sidecar:reviews-v1-1.sidecar',
      '2:app:details-v1-0',
      '2:app:reviews-v1-0',
      '2:app:reviews-v1-1',
    ],
  );
  assert.deepEqual(Stage, { controlPlane: 0, proxies: 1, apps: 2 });
  assert.deepEqual(
    plan.instances.map((i) => `${i.name}=${i.address}`),
    ['details-v1-0=127.0.1.1', 'reviews-v1-0=127.0.1.2', 'reviews-v1-1=127.0.1.3'],
  );
  assert.equal(plan.gatewayUrl, 'http://127.0.0.1:8080/');
  assert.equal(plan.registryFile, join('/cfg/shop/.weft', 'registry', 'instances.yaml'));
  assert.equal(plan.logDir, join('/cfg/shop/.weft', 'logs'));
  assert.deepEqual(plan.processes.map((p) => p.critical), [true, false, false, false, false, false, false, false]);
});

test('control plane command line and readiness', () => {
  const cp = byName(mustPlan([]), 'control-plane');
  assert.equal(cp.command, '/usr/bin/node');
  assert.deepEqual(cp.args, [
    join('/opt/weft', 'dist', 'src', 'control', 'main.js'),
    '--config-dir', '/cfg/shop',
    '--state-dir', '/cfg/shop/.weft',
    '--xds-address', '127.0.0.1:15010',
    '--http-address', '127.0.0.1:15014',
    '--secure-xds-address', '127.0.0.1:15012',
  ]);
  assert.deepEqual(cp.readiness, { kind: 'line', startsWith: 'weft-control-plane ready', timeoutMs: 20_000 });
  assert.equal(cp.env.UNSET, undefined);
  assert.ok(!('UNSET' in cp.env));
});

test('gateway is a router proxy on 127.0.0.1 with port 80 mapped to --gateway-port', () => {
  const gw = byName(mustPlan([], { ...options, gatewayPort: 18080, xdsPort: 25010 }), 'istio-ingressgateway-0');
  assert.equal(gw.args[0], join('/opt/weft', 'dist', 'src', 'proxy', 'main.js'));
  assert.equal(flag(gw.args, '--type'), 'router');
  assert.equal(flag(gw.args, '--xds-address'), '127.0.0.1:25010');
  assert.equal(flag(gw.args, '--ip'), '127.0.0.1');
  assert.equal(flag(gw.args, '--name'), 'istio-ingressgateway-0');
  assert.equal(flag(gw.args, '--namespace'), 'istio-system');
  assert.equal(flag(gw.args, '--workload'), 'istio-ingressgateway');
  assert.equal(flag(gw.args, '--labels'), 'app=istio-ingressgateway,istio=ingressgateway');
  assert.equal(flag(gw.args, '--service-account'), 'istio-ingressgateway');
  assert.equal(flag(gw.args, '--admin-port'), '15000');
  assert.equal(flag(gw.args, '--stats-port'), '15090');
  assert.equal(flag(gw.args, '--port-map'), '80=18080');
  assert.deepEqual(gw.readiness, { kind: 'http', url: 'http://127.0.0.1:15000/ready', timeoutMs: 30_000 });
});

test('sidecar flags carry the instance identity and labels including weft.dev/workload', () => {
  const sc = byName(mustPlan([workload('reviews-v1', { replicas: 2 })]), 'reviews-v1-1.sidecar');
  assert.equal(flag(sc.args, '--type'), 'sidecar');
  assert.equal(flag(sc.args, '--ip'), '127.0.1.2');
  assert.equal(flag(sc.args, '--name'), 'reviews-v1-1');
  assert.equal(flag(sc.args, '--namespace'), 'shop');
  assert.equal(flag(sc.args, '--workload'), 'reviews-v1');
  assert.equal(flag(sc.args, '--labels'), 'app=reviews,version=v1,weft.dev/workload=reviews-v1');
  assert.equal(flag(sc.args, '--service-account'), 'sa-reviews-v1');
  assert.equal(flag(sc.args, '--outbound-port'), '15001');
  assert.equal(flag(sc.args, '--port-map'), undefined);
  assert.deepEqual(sc.readiness, { kind: 'http', url: 'http://127.0.1.2:15000/ready', timeoutMs: 30_000 });
  assert.equal(sc.instance, 'reviews-v1-1');
});

test('app: command, working directory, environment and TCP readiness', () => {
  const plan = mustPlan([
    workload('reviews-v1', {
      workingDir: '../svc/reviews',
      ports: [
        { name: 'http', containerPort: 9081, servicePort: 9080, protocol: 'HTTP' },
        { name: 'admin', containerPort: 9999, servicePort: 9999, protocol: 'TCP' },
      ],
    }),
    workload('details-v1', {}, 'shop', '/cfg/shop/sub/details.yaml'),
  ]);
  const app = byName(plan, 'reviews-v1-0');
  assert.equal(app.command, 'tsx');
  assert.deepEqual(app.args, ['server.ts', '--flag']);
  assert.equal(app.cwd, '/cfg/svc/reviews');
  assert.equal(byName(plan, 'details-v1-0').cwd, '/cfg/shop/sub');
  assert.equal(app.env.PATH, `${join('/opt/weft', 'node_modules', '.bin')}${delimiter}/usr/bin`);
  assert.equal(app.env.HOME, '/home/u');
  assert.equal(app.env.GREETING, 'hi');
  assert.equal(app.env.WEFT_HOST, '127.0.1.2');
  assert.equal(app.env.PORT, '9081');
  assert.equal(app.env.HTTP_PROXY, 'http://127.0.1.2:15001');
  assert.equal(app.env.WEFT_WORKLOAD, 'reviews-v1');
  assert.equal(app.env.WEFT_INSTANCE, 'reviews-v1-0');
  assert.equal(app.env.WEFT_NAMESPACE, 'shop');
  assert.equal(app.env.WEFT_SERVICE, 'reviews.shop.svc.cluster.local');
  assert.deepEqual(app.readiness, { kind: 'tcp', host: '127.0.1.2', port: 9081, timeoutMs: 30_000 });
  assert.equal(app.ports, 'http 9081 (svc 9080), admin 9999');
  // The proxies do not get the app's variables.
  assert.equal(byName(plan, 'reviews-v1-0.sidecar').env.HTTP_PROXY, undefined);
});

test('a workload without ports has no PORT and no readiness probe', () => {
  const app = byName(mustPlan([workload('batch', { ports: [] })]), 'batch-0');
  assert.equal(app.env.PORT, options.baseEnv.PORT, 'PORT is inherited, not set');
  assert.deepEqual(app.readiness, { kind: 'none' });
});

test('instances are allocated across namespaces in sorted order; clashing names get the namespace', () => {
  const plan = mustPlan([workload('web', {}, 'zeta'), workload('web', {}, 'alpha'), workload('api', {}, 'zeta')]);
  assert.deepEqual(
    plan.instances.map((i) => `${i.namespace}/${i.name}=${i.address}`),
    ['alpha/web-0=127.0.1.1', 'zeta/api-0=127.0.1.2', 'zeta/web-0=127.0.1.3'],
  );
  const names = plan.processes.filter((p) => p.role === 'app').map((p) => p.name);
  assert.deepEqual(names, ['web-0.alpha', 'api-0', 'web-0.zeta']);
  assert.equal(new Set(plan.processes.map((p) => p.name)).size, plan.processes.length);
});

test('non-Workload resources are ignored', () => {
  const vs: Resource = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'x', namespace: 'shop', labels: {}, annotations: {} },
    spec: { hosts: ['x'], gateways: [], http: [], exportTo: [] },
  };
  assert.equal(mustPlan([vs]).instances.length, 0);
});

test('errors: bad subnet, subnet overflow, empty command', () => {
  const bad = buildPlan([], { ...options, subnet: '10.0.0' });
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.errors.join(), /loopback/);
  const full = buildPlan([workload('w', { replicas: 300 })], { ...options, subnet: '127.0.255' });
  assert.match(full.ok ? '' : full.errors.join(), /no room/);
  const empty = buildPlan([workload('w', { command: [] })], options);
  assert.match(empty.ok ? '' : empty.errors.join(), /Workload shop\/w: spec.command is empty/);
});

test('the gateway address is never given to an instance', () => {
  const plan = mustPlan([workload('a'), workload('b')], { ...options, subnet: '127.0.0' });
  assert.deepEqual(plan.instances.map((i) => i.address), ['127.0.0.2', '127.0.0.3']);
});

test('formatLabels sorts keys', () => {
  assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  assert.equal(formatLabels({}), '');
});

test('--cluster-id: every proxy gets --cluster and every instance the topology.istio.io/cluster label', () => {
  const plan = mustPlan([workload('reviews-v1')], { ...options, clusterId: 'east' });
  const sc = byName(plan, 'reviews-v1-0.sidecar');
  assert.equal(flag(sc.args, '--cluster'), 'east');
  assert.match(flag(sc.args, '--labels') ?? '', /topology\.istio\.io\/cluster=east/);
  assert.equal(flag(byName(plan, 'istio-ingressgateway-0').args, '--cluster'), 'east');
  assert.equal(plan.instances[0]?.labels['topology.istio.io/cluster'], 'east');
  assert.equal(flag(byName(mustPlan([workload('reviews-v1')]), 'reviews-v1-0.sidecar').args, '--cluster'), undefined);
});
