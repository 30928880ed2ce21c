// Supervisor with real processes: staged start with each readiness kind, reverse-order stop,
// startup failures, unexpected exits, single-instance restart, and nothing left behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ProcessSpec, Readiness } from './plan.js';
import { isProcessAlive } from './process-group.js';
import { StartError, Supervisor } from './supervisor.js';
import type { UnexpectedExit } from './supervisor.js';
import { waitForLine } from './wait.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Records "name" in $STOP_FILE on SIGTERM, then exits; also runs a grandchild in its group. */
const TRAP = `
  process.on('SIGTERM', () => {
    require('node:fs').appendFileSync(process.env.STOP_FILE, process.env.NAME + '\\n');
    process.exit(0);
  });
  const { spawn } = require('node:child_process');
  const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  console.log('grandchild ' + g.pid);
  setInterval(() => {}, 1000);
`;

const scripts = {
  line: `${TRAP} setTimeout(() => console.log('weft-control-plane ready on 15010'), 200);`,
  http: `${TRAP}
    require('node:http')
      .createServer((req, res) => { res.writeHead(req.url === '/ready' ? 200 : 404); res.end(); })
      .listen(Number(process.env.PORT), '127.0.0.1');`,
  tcp: `${TRAP} setTimeout(() => require('node:net').createServer().listen(Number(process.env.PORT), '127.0.0.1'), 300);`,
};

function spec(name: string, stage: number, script: string, readiness: Readiness, env: Record<string, string>): ProcessSpec {
  return {
    name,
    role: stage === 0 ? 'control-plane' : stage === 1 ? 'sidecar' : 'app',
    instance: name,
    stage,
    critical: stage === 0,
    command: process.execPath,
    args: ['-e', script],
    cwd: tmpdir(),
    env: { ...env, NAME: name },
    readiness,
    address: '127.0.0.1',
    ports: '-',
  };
}

interface Fixture {
  dir: string;
  stopFile: string;
  logDir: string;
  lines: string[];
  supervisor: Supervisor;
  grandchildren: Map<string, number>;
}

function fixture(stopGraceMs = 2_000): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'weft-supervisor-'));
  const stopFile = join(dir, 'stops.txt');
  writeFileSync(stopFile, '');
  const lines: string[] = [];
  const supervisor = new Supervisor({ logDir: dir, stopGraceMs, sink: (_s, l) => lines.push(l) });
  const grandchildren = new Map<string, number>();
  return { dir, stopFile, logDir: dir, lines, supervisor, grandchildren };
}

function grandchildOf(f: Fixture, name: string): number {
  const line = f.lines.find((l) => l.startsWith(`[${name}] grandchild `));
  assert.ok(line, `no grandchild line from ${name}`);
  return Number(line.split(' ')[2]);
}

test('staged start, reverse stop, prefixed logs, nothing left behind', { timeout: 60_000 }, async () => {
  const f = fixture();
  try {
    const env = { STOP_FILE: f.stopFile };
    const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
    const specs = [
      spec('app-b', 2, scripts.tcp, { kind: 'tcp', host: '127.0.0.1', port: p3, timeoutMs: 10_000 }, { ...env, PORT: String(p3) }),
      spec('cp', 0, scripts.line, { kind: 'line', startsWith: 'weft-control-plane ready', timeoutMs: 10_000 }, env),
      spec('proxy-a', 1, scripts.http, { kind: 'http', url: `http://127.0.0.1:${p1}/ready`, timeoutMs: 10_000 }, { ...env, PORT: String(p1) }),
      spec('proxy-b', 1, scripts.http, { kind: 'http', url: `http://127.0.0.1:${p2}/ready`, timeoutMs: 10_000 }, { ...env, PORT: String(p2) }),
    ];
    await f.supervisor.startAll(specs);

    const status = f.supervisor.list();
    assert.deepEqual(status.map((s) => s.spec.name), ['cp', 'proxy-a', 'proxy-b', 'app-b']);
    assert.ok(status.every((s) => s.ready && s.pid !== undefined && s.exit === undefined));
    const pids = status.map((s) => s.pid as number);
    const grandchildren = status.map((s) => grandchildOf(f, s.spec.name));
    for (const pid of [...pids, ...grandchildren]) assert.ok(isProcessAlive(pid));
    assert.ok(f.lines.includes('[cp] weft-control-plane ready on 15010'));

    await f.supervisor.stopAll();
    const order = readFileSync(f.stopFile, 'utf8').trim().split('\n');
    assert.equal(order[0], 'app-b', 'apps stop first');
    assert.deepEqual(order.slice(1, 3).sort(), ['proxy-a', 'proxy-b'], 'then proxies');
    assert.equal(order[3], 'cp', 'control plane last');
    for (const pid of [...pids, ...grandchildren]) assert.equal(isProcessAlive(pid), false, `pid ${pid} still alive`);
    assert.deepEqual(f.supervisor.list(), []);

    assert.deepEqual(readdirSync(f.logDir).filter((n) => n.endsWith('.log')).sort(), [
      'app-b.log',
      'cp.log',
      'proxy-a.log',
      'proxy-b.log',
    ]);
    assert.match(readFileSync(join(f.logDir, 'cp.log'), 'utf8'), /^weft-control-plane ready on 15010$/m);
  } finally {
    await f.supervisor.stopAll();
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('a process that dies before it is ready fails the start with its output tail', { timeout: 30_000 }, async () => {
  const f = fixture();
  try {
    const crash = spec(
      'crashy',
      0,
      `console.error('boom: config invalid'); process.exit(3);`,
      { kind: 'line', startsWith: 'never', timeoutMs: 10_000 },
      {},
    );
    const err = await f.supervisor.startAll([crash]).then(
      () => assert.fail('should not start'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StartError);
    assert.equal(err.message, 'crashy exited with code 3 before it was ready');
    assert.deepEqual(err.tail, ['boom: config invalid']);
    assert.equal(err.cancelled, false);
    assert.deepEqual(f.supervisor.list(), []);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('a command that cannot be spawned names the command and directory', async () => {
  const f = fixture();
  try {
    const missing = { ...spec('ghost', 2, '', { kind: 'none' }, {}), command: 'weft-no-such-command', args: [] };
    const err = await f.supervisor.start(missing).then(
      () => assert.fail('should not start'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StartError);
    assert.match(err.message, /^ghost failed to start: spawn weft-no-such-command ENOENT \(command "weft-no-such-command" in .+\)$/);
    assert.deepEqual(f.supervisor.list(), []);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('a readiness timeout stops the process and cancels the rest of its stage', { timeout: 30_000 }, async () => {
  const f = fixture(500);
  try {
    const env = { STOP_FILE: f.stopFile };
    const unused = await freePort();
    const slow = spec('slow', 1, TRAP, { kind: 'tcp', host: '127.0.0.1', port: unused, timeoutMs: 400 }, env);
    const waiting = spec('waiting', 1, TRAP, { kind: 'line', startsWith: 'never', timeoutMs: 20_000 }, env);
    const started = Date.now();
    const err = await f.supervisor.startAll([slow, waiting]).then(
      () => assert.fail('should not start'),
      (e: unknown) => e,
    );
    assert.ok(Date.now() - started < 10_000, 'the waiting sibling was cancelled, not waited out');
    assert.ok(err instanceof StartError);
    assert.match(err.message, /^slow was not ready: timed out after 0\.4 s waiting for 127\.0\.0\.1:\d+ to accept TCP connections$/);
    await delay(50);
    assert.deepEqual(f.supervisor.list(), []);
    for (const name of ['slow', 'waiting']) assert.equal(isProcessAlive(grandchildOf(f, name)), false);
  } finally {
    await f.supervisor.stopAll();
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('an unexpected exit is reported and its orphans are killed', { timeout: 30_000 }, async () => {
  const f = fixture();
  try {
    // Prints, waits for a file to appear, then exits with code 7 leaving its grandchild running.
    const trigger = join(f.dir, 'die-now');
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log('grandchild ' + g.pid);
      console.log('up');
      setInterval(() => { if (require('node:fs').existsSync(${JSON.stringify(trigger)})) { console.error('dying'); process.exit(7); } }, 50);
    `;
    const events: UnexpectedExit[] = [];
    f.supervisor.onUnexpectedExit((e) => events.push(e));
    const proc = await f.supervisor.start(spec('fragile', 2, script, { kind: 'line', startsWith: 'up', timeoutMs: 10_000 }, {}));
    const grandchild = grandchildOf(f, 'fragile');
    writeFileSync(trigger, '');
    await proc.exited;
    await delay(20);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.spec.name, 'fragile');
    assert.deepEqual(events[0]?.info, { code: 7, signal: null });
    assert.ok(events[0]?.tail.includes('dying'));
    const deadline = Date.now() + 5_000;
    while (isProcessAlive(grandchild) && Date.now() < deadline) await delay(50);
    assert.equal(isProcessAlive(grandchild), false, 'orphaned grandchild killed');
    assert.equal(f.supervisor.list()[0]?.exit?.code, 7);
  } finally {
    await f.supervisor.stopAll();
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('restart replaces one instance; stopping it is not reported as unexpected', { timeout: 30_000 }, async () => {
  const f = fixture();
  try {
    const events: UnexpectedExit[] = [];
    f.supervisor.onUnexpectedExit((e) => events.push(e));
    const env = { STOP_FILE: f.stopFile };
    const readiness: Readiness = { kind: 'line', startsWith: 'grandchild', timeoutMs: 10_000 };
    await f.supervisor.startAll([spec('one', 2, TRAP, readiness, env), spec('two', 2, TRAP, readiness, env)]);
    const before = f.supervisor.get('one');
    const other = f.supervisor.get('two')?.pid;
    assert.ok(before?.pid && other);
    await assert.rejects(f.supervisor.start(spec('one', 2, TRAP, readiness, env)), /already running/);

    const after = await f.supervisor.restart('one');
    assert.notEqual(after.pid, before.pid);
    assert.equal(isProcessAlive(before.pid), false);
    assert.equal(f.supervisor.get('two')?.pid, other, 'the other instance kept running');
    assert.equal(readFileSync(f.stopFile, 'utf8'), 'one\n');

    assert.equal((await f.supervisor.stop('two'))?.code, 0);
    assert.equal(await f.supervisor.stop('two'), undefined);
    assert.deepEqual(f.supervisor.list().map((s) => s.spec.name), ['one']);
    assert.deepEqual(events, []);
  } finally {
    await f.supervisor.stopAll();
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('killAll ends a slow graceful stop at once', { timeout: 30_000 }, async () => {
  const f = fixture(20_000);
  try {
    const stubborn = `process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000);`;
    await f.supervisor.startAll([spec('stubborn', 2, stubborn, { kind: 'line', startsWith: 'up', timeoutMs: 10_000 }, {})]);
    const pid = f.supervisor.get('stubborn')?.pid;
    assert.ok(pid);
    const stopping = f.supervisor.stopAll();
    await delay(200);
    assert.ok(isProcessAlive(pid), 'still in its grace period');
    const started = Date.now();
    f.supervisor.killAll();
    await stopping;
    assert.ok(Date.now() - started < 4_000);
    assert.equal(isProcessAlive(pid), false);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('cancelling startup stops what was starting and reports a cancelled StartError', { timeout: 30_000 }, async () => {
  const f = fixture();
  try {
    const ac = new AbortController();
    const pending = f.supervisor.startAll([spec('never', 0, TRAP, { kind: 'line', startsWith: 'never', timeoutMs: 20_000 }, { STOP_FILE: f.stopFile })], ac.signal);
    const proc = await (async () => {
      for (;;) {
        const p = f.supervisor.get('never');
        if (p) return p;
        await delay(10);
      }
    })();
    await waitForLine(proc, (l) => l.startsWith('grandchild'), { what: 'start', timeoutMs: 10_000 });
    ac.abort();
    const err = await pending.then(
      () => assert.fail('should not start'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StartError && err.cancelled);
    assert.equal(isProcessAlive(grandchildOf(f, 'never')), false);
    assert.deepEqual(f.supervisor.list(), []);
  } finally {
    await f.supervisor.stopAll();
    rmSync(f.dir, { recursive: true, force: true });
  }
});
