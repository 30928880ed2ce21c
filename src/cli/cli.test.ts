// End-to-end tests of the `weft` verbs: each runs `node bin/weft.js ...` as a child process
// against a debug server started in this test process.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createFakeBackend } from '../control/debug/fake-backend.js';
import type { FakeBackend } from '../control/debug/fake-backend.js';
import { startDebugServer } from '../control/debug/server.js';
import type { DebugServer } from '../control/debug/server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** dist/src/cli -> repository root (where bin/weft.js lives). */
const ROOT = path.resolve(HERE, '../../..');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function weft(args: string[], opts: { env?: Record<string, string>; stdin?: string; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    delete env['WEFT_DEBUG'];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/weft.js'), ...args], {
      cwd: opts.cwd ?? ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

const VS_AND_DR = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
    - route:
        - destination: { host: reviews, subset: v1 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
spec:
  host: reviews
  subsets:
    - name: v1
      labels: { version: v1 }
`;

const BAD = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: fine
spec:
  hosts: [fine]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: broken
spec:
  hosts: 42
`;

const SERVICE_ENTRY = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin
  namespace: default
spec:
  hosts: [httpbin.org]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
    - number: 80
      name: http
      protocol: HTTP
`;

const BAD_WEIGHT = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: broken
  namespace: default
spec:
  hosts: [httpbin.org]
  http:
    - route:
        - destination: { host: httpbin.org }
          weight: abc
`;

describe('weft CLI', () => {
  // fakeBackend is a test double of the control plane's state (see control/debug/fake-backend.ts).
  let fakeBackend: FakeBackend;
  let server: DebugServer;
  let env: Record<string, string>;
  let tmp: string;

  before(async () => {
    fakeBackend = createFakeBackend();
    server = await startDebugServer(fakeBackend, { host: '127.0.0.1', port: 0 });
    env = { WEFT_CONTROL_PLANE: `127.0.0.1:${server.address.port}` };
    tmp = await mkdtemp(path.join(os.tmpdir(), 'weft-cli-'));
    await writeFile(path.join(tmp, 'reviews.yaml'), VS_AND_DR);
    await writeFile(path.join(tmp, 'bad.yaml'), BAD);
  });
  after(async () => {
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('apply -f FILE reports each resource applied, then unchanged', async () => {
    const r = await weft(['apply', '-f', path.join(tmp, 'reviews.yaml')], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'VirtualService/default/reviews applied\nDestinationRule/default/reviews applied\n');
    assert.equal(fakeBackend.calls.at(-1)?.source, path.join(tmp, 'reviews.yaml'));
    const again = await weft(['apply', '-f', path.join(tmp, 'reviews.yaml')], { env });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^VirtualService\/default\/reviews unchanged$/m);
  });

  it('apply prints each error with file, document and field path, and exits 1', async () => {
    const r = await weft(['apply', '-f', 'bad.yaml'], { env, cwd: tmp });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    // The absolute path sent to the control plane is shown relative to the working directory.
    assert.equal(lines[0], 'bad.yaml (document 2) VirtualService broken: spec.hosts: expected a list of host names');
    assert.match(lines[1] ?? '', /^error: bad\.yaml: 1 error; nothing in this file was applied$/);
    assert.equal(fakeBackend.resources.has('VirtualService/default/fine'), false);
  });

  it('apply -f - reads stdin and prints warnings', async () => {
    const yaml = 'kind: Gateway\nmetadata: {name: deprecated-gw, namespace: edge}\nspec: {selector: {app: ingress}}\n';
    const r = await weft(['apply', '-f', '-'], { env, stdin: yaml });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Gateway/edge/deprecated-gw applied\n');
    assert.match(r.stderr, /^warning: Gateway\/edge\/deprecated-gw: names starting with "deprecated-"/m);
    assert.equal(fakeBackend.calls.at(-1)?.source, 'stdin');
  });

  it('apply without -f, or with a missing path, explains itself', async () => {
    const noFlag = await weft(['apply'], { env });
    assert.equal(noFlag.code, 2);
    assert.match(noFlag.stderr, /missing -f FILE\|DIR\|-/);
    assert.match(noFlag.stderr, /weft help apply/);
    const missing = await weft(['apply', '-f', 'no/such/file.yaml'], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /the path "no\/such\/file\.yaml" does not exist/);
  });

  it('get KIND -o json prints the stored resources; with NAME, the one resource', async () => {
    const list = await weft(['get', 'virtualservices', '-o', 'json'], { env });
    assert.equal(list.code, 0, list.stderr);
    const parsed = JSON.parse(list.stdout) as { kind: string; metadata: { name: string } }[];
    assert.deepEqual(
      parsed.map((r) => `${r.kind}/${r.metadata.name}`),
      ['VirtualService/reviews'],
    );
    const one = await weft(['get', 'dr', 'reviews', '-ojson'], { env });
    assert.equal(one.code, 0, one.stderr);
    const dr = JSON.parse(one.stdout) as { spec: { host: string }; source: { document: number } };
    assert.equal(dr.spec.host, 'reviews');
    assert.equal(dr.source.document, 2);
  });

  it('get -o yaml prints applyable manifests without the source field', async () => {
    const r = await weft(['get', 'vs', '--output=yaml'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^apiVersion: networking\.istio\.io\/v1\nkind: VirtualService\nmetadata:\n {2}name: reviews\n {2}namespace: default\n/);
    assert.doesNotMatch(r.stdout, /source:/);
  });

  it('get prints a table with per-kind columns, and accepts Istio aliases', async () => {
    const vs = await weft(['get', 'vs'], { env });
    assert.equal(vs.code, 0, vs.stderr);
    const [header, row] = vs.stdout.trim().split('\n');
    assert.match(header ?? '', /^NAMESPACE +NAME +GATEWAYS +HOSTS +ROUTES +SOURCE$/);
    assert.match(row ?? '', /^default +reviews +<none> +reviews +1 +.*reviews\.yaml:1$/);
    const dr = await weft(['get', 'destinationrule'], { env });
    assert.match(dr.stdout, /^NAMESPACE +NAME +HOST +SUBSETS +LB +SOURCE$/m);
    assert.match(dr.stdout, /^default +reviews +reviews +v1 +<default> /m);
  });

  it('get honours -n and -A, and "all" lists every kind', async () => {
    const edge = await weft(['get', 'gw', '-n', 'edge'], { env });
    assert.match(edge.stdout, /^edge +deprecated-gw +app=ingress +<none> /m);
    const none = await weft(['get', 'gw'], { env });
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /No resources found in default namespace\./);
    const all = await weft(['get', 'all', '-A'], { env });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /virtualservice\/reviews/);
    assert.match(all.stdout, /destinationrule\/reviews/);
    assert.match(all.stdout, /gateway\/deprecated-gw/);
  });

  it('get reports an unknown name (exit 1) and an unknown kind (exit 2)', async () => {
    const missing = await weft(['get', 'vs', 'nope'], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /VirtualService "nope" not found in namespace "default"/);
    const badKind = await weft(['get', 'pods'], { env });
    assert.equal(badKind.code, 2);
    assert.match(badKind.stderr, /unknown kind "pods"/);
    const both = await weft(['get', 'vs', '-A', '-n', 'x'], { env });
    assert.equal(both.code, 2);
  });

  it('proxy-status prints the sync table like istioctl', async () => {
    const r = await weft(['proxy-status'], { env });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0] ?? '', /^NAME +TYPE +WORKLOAD +NAMESPACE +ADMIN +CDS +LDS +EDS +RDS$/);
    // Sorted by namespace, then name.
    assert.match(lines[2] ?? '', /^ingress-0 +router +ingress +weft-system +127\.0\.0\.1:15000 +SYNCED +STALE +NOT SENT +NACK$/);
    assert.match(lines[1] ?? '', /^reviews-v1-0 +sidecar +reviews-v1 +default +127\.0\.1\.2:15000 +SYNCED +SYNCED +SYNCED +SYNCED$/);
    assert.match(r.stdout, /ingress-0\.weft-system RDS: route reviews: weighted clusters sum to 90/);
  });

  it('proxy-status -o json prints the sync records', async () => {
    const r = await weft(['proxy-status', '-o', 'json', '--control-plane', env['WEFT_CONTROL_PLANE'] as string], {});
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { id: string; types: { eds: { status: string } } }[];
    assert.equal(list.length, 2);
    assert.equal(list[1]?.types.eds.status, 'NOT_SENT');
  });

  it('delete -f removes resources; a second delete fails unless --ignore-not-found', async () => {
    const file = path.join(tmp, 'reviews.yaml');
    const r = await weft(['delete', '-f', file], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'VirtualService/default/reviews deleted\nDestinationRule/default/reviews deleted\n');
    const again = await weft(['delete', '-f', file], { env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: VirtualService\/default\/reviews not found$/m);
    const ignored = await weft(['delete', '--ignore-not-found', '-f', file], { env });
    assert.equal(ignored.code, 0, ignored.stderr);
  });

  it('says clearly when the control plane is not reachable', async () => {
    const s = await startDebugServer(createFakeBackend(), { host: '127.0.0.1', port: 0 });
    const port = s.address.port;
    await s.close();
    const r = await weft(['get', 'vs', '--control-plane', `127.0.0.1:${port}`], {});
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim(),
      `error: cannot reach the control plane at 127.0.0.1:${port}: connection refused — is \`weft up\` running?`,
    );
    const badFlag = await weft(['proxy-status', '--control-plane', 'nonsense'], {});
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /--control-plane must be HOST:PORT/);
  });

  it('version, help and unknown commands', async () => {
    // A bad control-plane address only matters to verbs that use it.
    const v = await weft(['version'], { env: { WEFT_CONTROL_PLANE: 'garbage' } });
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^weft \d+\.\d+\.\d+/);
    const vj = await weft(['version', '-o', 'json'], {});
    assert.match((JSON.parse(vj.stdout) as { version: string }).version, /^\d+\.\d+\.\d+/);
    const help = await weft(['help'], {});
    assert.equal(help.code, 0);
    for (const verb of ['up', 'apply', 'delete', 'get', 'analyze', 'proxy-status', 'version']) {
      assert.match(help.stdout, new RegExp(`^ {2}weft ${verb}\\b`, 'm'), verb);
    }
    const getHelp = await weft(['get', '--help'], {});
    assert.match(getHelp.stdout, /VirtualService \(virtualservice, virtualservices, vs\)/);
    const unknown = await weft(['frobnicate'], {});
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  describe('with the api module', () => {
    let good: string;
    let bad: string;
    before(async () => {
      good = path.join(tmp, 'good');
      bad = path.join(tmp, 'bad');
      await mkdir(good);
      await mkdir(bad);
      await writeFile(path.join(good, 'se.yaml'), SERVICE_ENTRY);
      await writeFile(path.join(bad, 'se.yaml'), SERVICE_ENTRY);
      await writeFile(path.join(bad, 'vs.yaml'), BAD_WEIGHT);
    });

    it('analyze exits 0 on a good directory', async () => {
      const r = await weft(['analyze', good], {});
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /No validation issues found/);
    });

    it('analyze prints each error and a summary, and exits 1', async () => {
      const r = await weft(['analyze', bad], {});
      assert.equal(r.code, 1);
      assert.match(r.stdout, /vs\.yaml \(document 1\) VirtualService default\/broken: spec\.http\[0\]\.route\[0\]\.weight: /);
      assert.match(r.stdout, /^Found 1 error and \d+ warnings? in /m);
      const json = await weft(['analyze', bad, '-o', 'json'], {});
      const errors = JSON.parse(json.stdout) as { severity: string; path: string }[];
      assert.ok(errors.some((e) => e.severity === 'error' && e.path === 'spec.http[0].route[0].weight'));
    });

    it('apply -f DIR checks every file first and applies nothing if one is bad', async () => {
      const before = fakeBackend.calls.length;
      const r = await weft(['apply', '-f', 'bad'], { env, cwd: tmp });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^bad\/vs\.yaml \(document 1\) VirtualService default\/broken: spec\.http\[0\]\.route\[0\]\.weight/m);
      assert.match(r.stderr, /nothing was applied/);
      assert.equal(fakeBackend.calls.length, before);
      const ok = await weft(['apply', '-f', good], { env });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'ServiceEntry/default/httpbin applied\n');
    });
  });
});
