// `weft up` flag parsing, and runUp in-process against a stub package (stub control plane and
// proxy), so it tests the orchestration alone: registry, env, readiness, stop, cleanup.
// The end-to-end run of examples/shop with the real components lives in test/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { isProcessAlive } from '../local/process-group.js';
import { parseUpArgs, runUp } from './up.js';

test('parseUpArgs: defaults, flags, errors', () => {
  assert.deepEqual(parseUpArgs(['examples/shop']), {
    kind: 'run',
    args: {
      dir: 'examples/shop',
      gatewayPort: 8080,
      xdsPort: 15010,
      httpPort: 15014,
      caPort: 15012,
      subnet: '127.0.1',
      stateDir: undefined,
      gatewayIp: '127.0.0.1',
    },
  });
  const r = parseUpArgs(['d', '--gateway-port', '18080', '--xds-port=25010', '--http-port', '25014', '--subnet', '127.0.9', '--state-dir', '/s']);
  assert.equal(r.kind, 'run');
  assert.deepEqual(r.kind === 'run' ? [r.args.gatewayPort, r.args.xdsPort, r.args.httpPort, r.args.subnet, r.args.stateDir] : [], [
    18080, 25010, 25014, '127.0.9', '/s',
  ]);
  assert.deepEqual(parseUpArgs(['--help']), { kind: 'help' });
  assert.deepEqual(parseUpArgs([]), { kind: 'error', message: 'missing DIR' });
  assert.equal(parseUpArgs(['a', 'b']).kind, 'error');
  assert.match(JSON.stringify(parseUpArgs(['d', '--gateway-port', '0'])), /--gateway-port must be a port number/);
  assert.match(JSON.stringify(parseUpArgs(['d', '--xds-port', 'x'])), /--xds-port must be a port number/);
  assert.equal(parseUpArgs(['d', '--bogus']).kind, 'error');
});

// ------------------------------------------------------------------------------ stub package

const STUB_CONTROL_PLANE = `
  const { existsSync } = require('node:fs');
  const { join } = require('node:path');
  const args = process.argv.slice(2);
  const stateDir = args[args.indexOf('--state-dir') + 1];
  process.on('SIGTERM', () => process.exit(0));
  console.log('weft-control-plane ready (stub) registry=' + existsSync(join(stateDir, 'registry', 'instances.yaml')));
  // Dies on request, to test that losing the control plane stops the mesh.
  setInterval(() => { if (existsSync(join(stateDir, 'kill-control-plane'))) process.exit(9); }, 50);
`;

const STUB_PROXY = `
  const args = process.argv.slice(2);
  const flag = (n) => args[args.indexOf('--' + n) + 1];
  process.on('SIGTERM', () => process.exit(0));
  require('node:http')
    .createServer((req, res) => { res.writeHead(req.url === '/ready' ? 200 : 404); res.end(); })
    .listen(Number(flag('admin-port')), flag('ip'), () => console.log('stub ' + flag('type') + ' ' + flag('name')));
`;

/** The app: reports its environment, spawns a grandchild, listens on WEFT_HOST:PORT. */
const STUB_APP = `
  const { spawn } = require('node:child_process');
  const { renameSync, writeFileSync } = require('node:fs');
  const { join } = require('node:path');
  const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const e = process.env;
  require('node:net').createServer().listen(Number(e.PORT), e.WEFT_HOST, () => {
    const keys = ['WEFT_HOST', 'PORT', 'HTTP_PROXY', 'WEFT_WORKLOAD', 'WEFT_INSTANCE', 'WEFT_NAMESPACE', 'WEFT_SERVICE', 'GREETING', 'PATH'];
    const env = Object.fromEntries(keys.map((k) => [k, e[k]]));
    const file = join(e.REPORT_DIR, e.WEFT_INSTANCE + '.json');
    writeFileSync(file + '.tmp', JSON.stringify({ pid: process.pid, grandchild: g.pid, cwd: process.cwd(), env }));
    renameSync(file + '.tmp', file); // the test polls for it: never let it see half a file
    console.log('app listening on ' + e.WEFT_HOST + ':' + e.PORT);
  });
`;

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface World {
  root: string;
  pkg: string;
  config: string;
  state: string;
  reports: string;
  flags: string[];
  gatewayIp: string;
}

async function world(subnetThird: number): Promise<World> {
  const root = mkdtempSync(join(tmpdir(), 'weft-up-'));
  const pkg = join(root, 'pkg');
  const bin = join(pkg, 'node_modules', '.bin');
  mkdirSync(join(pkg, 'dist', 'src', 'control'), { recursive: true });
  mkdirSync(join(pkg, 'dist', 'src', 'proxy'), { recursive: true });
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"weft"}');
  writeFileSync(join(pkg, 'dist', 'src', 'control', 'main.js'), STUB_CONTROL_PLANE);
  writeFileSync(join(pkg, 'dist', 'src', 'proxy', 'main.js'), STUB_PROXY);
  writeFileSync(join(pkg, 'app.cjs'), STUB_APP);
  // Found only through the PATH prefix weft up adds, like tsx in real workloads.
  writeFileSync(join(bin, 'stub-app'), `#!/bin/sh\nexec "${process.execPath}" "${join(pkg, 'app.cjs')}"\n`);
  chmodSync(join(bin, 'stub-app'), 0o755);

  const config = join(root, 'config');
  const reports = join(root, 'reports');
  mkdirSync(join(config, 'svc'), { recursive: true });
  mkdirSync(reports);
  writeFileSync(
    join(config, 'mesh.yaml'),
    `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: { name: web, namespace: shop, labels: { app: web, version: v1 } }
spec:
  service: web
  serviceAccount: web
  replicas: 2
  ports: [{ name: http, containerPort: 9080, servicePort: 80, protocol: HTTP }]
  command: ["stub-app"]
  workingDir: svc
  env: { GREETING: hello, REPORT_DIR: "${reports}" }
`,
  );
  // A unique loopback range per test, so parallel test files do not collide on 15000 and friends.
  const gatewayIp = `127.0.${subnetThird - 1}.1`;
  const flags = [
    '--subnet', `127.0.${subnetThird}`,
    '--gateway-ip', gatewayIp,
    '--gateway-port', String(await freePort(gatewayIp)),
    '--xds-port', String(await freePort(gatewayIp)),
    '--http-port', String(await freePort(gatewayIp)),
  ];
  return { root, pkg, config, state: join(config, '.weft'), reports, flags, gatewayIp };
}

/** Polls f until it returns a value; fails early if runUp returns first. */
async function until<T>(what: string, f: () => T | undefined, running: Promise<number>, timeoutMs = 20_000): Promise<T> {
  let returned: number | undefined;
  void running.then((code) => (returned = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (returned !== undefined) throw new Error(`runUp returned ${returned} while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

interface Report {
  pid: number;
  grandchild: number;
  cwd: string;
  env: Record<string, string>;
}

function readReports(w: World): Report[] | undefined {
  const files = readdirSync(w.reports).filter((f) => f.endsWith('.json')).sort();
  if (files.length < 2) return undefined;
  return files.map((f) => JSON.parse(readFileSync(join(w.reports, f), 'utf8')) as Report);
}

test('runUp starts the mesh, registers instances, and leaves nothing behind on stop', { timeout: 60_000 }, async () => {
  const w = await world(231);
  const ac = new AbortController();
  let done: Promise<number> | undefined;
  try {
    done = runUp([w.config, ...w.flags], { signal: ac.signal, packageRoot: w.pkg });
    const reports = await until('both app replicas', () => readReports(w), done);

    // Instances are published to the registry only once their app is ready, after the reports.
    const entries = await until(
      'instances published to the registry',
      () => {
        const docs = parseAllDocuments(readFileSync(join(w.state, 'registry', 'instances.yaml'), 'utf8'));
        return Array.isArray(docs) && docs.filter((d) => d.contents !== null).length === 2 ? docs : undefined;
      },
      done,
    );
    assert.deepEqual(
      entries.map((d) => d.toJS() as { metadata: { name: string }; spec: { address: string; ports: unknown } }).map((e) => [e.metadata.name, e.spec.address, e.spec.ports]),
      [
        ['web-0', '127.0.231.1', { http: 80 }],
        ['web-1', '127.0.231.2', { http: 80 }],
      ],
    );

    const [r0, r1] = reports as [Report, Report];
    assert.equal(r0.cwd, join(w.config, 'svc'));
    assert.deepEqual({ ...r0.env, PATH: undefined }, {
      WEFT_HOST: '127.0.231.1',
      PORT: '9080',
      HTTP_PROXY: 'http://127.0.231.1:15001',
      WEFT_WORKLOAD: 'web',
      WEFT_INSTANCE: 'web-0',
      WEFT_NAMESPACE: 'shop',
      WEFT_SERVICE: 'web.shop.svc.cluster.local',
      GREETING: 'hello',
      PATH: undefined,
    });
    assert.ok(r0.env.PATH?.startsWith(join(w.pkg, 'node_modules', '.bin')));
    assert.equal(r1.env.WEFT_HOST, '127.0.231.2');
    assert.ok(readFileSync(join(w.state, 'logs', 'control-plane.log'), 'utf8').includes('registry=true'));
    assert.ok(existsSync(join(w.state, 'logs', 'web-0.sidecar.log')));
    assert.ok(existsSync(join(w.state, 'logs', 'istio-ingressgateway-0.log')));

    ac.abort();
    assert.equal(await done, 0);
    for (const r of reports) {
      assert.equal(isProcessAlive(r.pid), false, 'app gone');
      assert.equal(isProcessAlive(r.grandchild), false, "app's child gone");
    }
    assert.equal(existsSync(join(w.state, 'registry', 'instances.yaml')), false, 'registry removed');
  } finally {
    ac.abort(); // also when an assertion failed: never leave the mesh running
    await done;
    rmSync(w.root, { recursive: true, force: true });
  }
});

test('runUp stops everything and returns 1 when the control plane dies', { timeout: 60_000 }, async () => {
  const w = await world(233);
  const ac = new AbortController();
  let done: Promise<number> | undefined;
  try {
    done = runUp([w.config, ...w.flags], { signal: ac.signal, packageRoot: w.pkg });
    const reports = await until('both app replicas', () => readReports(w), done);
    writeFileSync(join(w.state, 'kill-control-plane'), '');
    assert.equal(await done, 1);
    for (const r of reports) assert.equal(isProcessAlive(r.grandchild), false);
    assert.equal(existsSync(join(w.state, 'registry', 'instances.yaml')), false);
  } finally {
    ac.abort();
    await done;
    rmSync(w.root, { recursive: true, force: true });
  }
});

test('runUp refuses invalid config and starts nothing', async () => {
  const w = await world(235);
  try {
    writeFileSync(join(w.config, 'bad.yaml'), 'apiVersion: weft.dev/v1alpha1\nkind: Workload\nmetadata: { name: x }\nspec: { replicas: -1 }\n');
    assert.equal(await runUp([w.config, ...w.flags], { packageRoot: w.pkg }), 1);
    assert.equal(existsSync(w.state), false);
  } finally {
    rmSync(w.root, { recursive: true, force: true });
  }
});
