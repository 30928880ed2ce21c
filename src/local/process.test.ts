// Real child processes: stopping a process group leaves nothing behind, and output is prefixed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ManagedProcess, describeExit, prefixLine } from './process.js';
import type { StreamName } from './process.js';
import { isGroupAlive, isProcessAlive } from './process-group.js';
import { waitForLine } from './wait.js';

/** Spawns a grandchild in the same group, reports its pid, keeps running. */
function parentScript(opts: { stubborn: boolean }): string {
  const trap = opts.stubborn ? "process.on('SIGTERM', () => console.log('ignoring SIGTERM'));" : '';
  const grandchild = `${trap} setInterval(() => {}, 1000);`;
  return `
    const { spawn } = require('node:child_process');
    ${trap}
    const g = spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'ignore' });
    console.error('a line on stderr');
    console.log('grandchild ' + g.pid); // last: the test stops the process as soon as it sees this
    setInterval(() => {}, 1000);
  `;
}

function capture(): { lines: Array<[StreamName, string]>; sink: (s: StreamName, l: string) => void } {
  const lines: Array<[StreamName, string]> = [];
  return { lines, sink: (s, l) => lines.push([s, l]) };
}

async function startWithGrandchild(opts: { stubborn: boolean; logFile?: string }) {
  const out = capture();
  const proc = new ManagedProcess({
    name: 'app-0',
    command: process.execPath,
    args: ['-e', parentScript(opts)],
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '' },
    sink: out.sink,
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
  });
  const line = await waitForLine(proc, (l) => l.startsWith('grandchild '), { what: 'grandchild pid', timeoutMs: 10_000 });
  const grandchild = Number(line.split(' ')[1]);
  assert.ok(proc.pid && grandchild > 0);
  return { proc, grandchild, leader: proc.pid, out };
}

test('stop() ends the leader and its grandchild; output is prefixed and logged', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-process-'));
  try {
    const logFile = join(dir, 'app-0.log');
    const { proc, grandchild, leader, out } = await startWithGrandchild({ stubborn: false, logFile });
    assert.ok(isProcessAlive(leader) && isProcessAlive(grandchild));
    assert.ok(proc.isRunning());

    const started = Date.now();
    const info = await proc.stop(5_000);
    assert.ok(Date.now() - started < 4_000, 'SIGTERM was enough; no need to wait for the grace period');
    assert.equal(info.signal, 'SIGTERM');
    assert.equal(describeExit(info), 'killed by SIGTERM');
    assert.equal(isProcessAlive(leader), false, 'leader gone');
    assert.equal(isProcessAlive(grandchild), false, 'grandchild gone');
    assert.equal(isGroupAlive(leader), false, 'process group empty');
    assert.throws(() => process.kill(leader, 0), { code: 'ESRCH' });

    assert.deepEqual(out.lines.find(([, l]) => l.includes('stderr')), ['stderr', '[app-0] a line on stderr']);
    assert.ok(out.lines.some(([s, l]) => s === 'stdout' && l === `[app-0] grandchild ${grandchild}`));
    for (const [, l] of out.lines) assert.ok(l.startsWith('[app-0] '), l);

    const log = readFileSync(logFile, 'utf8');
    assert.match(log, new RegExp(`^grandchild ${grandchild}$`, 'm'));
    assert.match(log, /^a line on stderr$/m);
    assert.deepEqual(proc.tail('stderr'), ['a line on stderr']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('processes that ignore SIGTERM are SIGKILLed after the grace period', { timeout: 30_000 }, async () => {
  const { proc, grandchild, leader } = await startWithGrandchild({ stubborn: true });
  const started = Date.now();
  const info = await proc.stop(400);
  const took = Date.now() - started;
  assert.ok(took >= 400, `waited the grace period (${took} ms)`);
  assert.ok(took < 4_000, `then killed promptly (${took} ms)`);
  assert.equal(info.signal, 'SIGKILL');
  assert.equal(isProcessAlive(leader), false);
  assert.equal(isProcessAlive(grandchild), false);
  assert.ok(proc.tail().includes('ignoring SIGTERM'));
});

test('kill() takes the whole group down at once; stop() is idempotent afterwards', { timeout: 30_000 }, async () => {
  const { proc, grandchild, leader } = await startWithGrandchild({ stubborn: true });
  const stopping = proc.stop(20_000);
  await delay(100);
  proc.kill();
  const started = Date.now();
  const info = await stopping;
  assert.ok(Date.now() - started < 4_000);
  assert.equal(info.signal, 'SIGKILL');
  assert.equal(await proc.stop(), info);
  assert.equal(isProcessAlive(leader), false);
  assert.equal(isProcessAlive(grandchild), false);
});

test('a command that does not exist reports a spawn error', async () => {
  const proc = new ManagedProcess({
    name: 'missing',
    command: 'weft-no-such-command-xyz',
    args: [],
    cwd: tmpdir(),
    env: { PATH: '/nonexistent' },
    sink: () => undefined,
  });
  assert.equal(await proc.spawned, false);
  const info = await proc.exited;
  assert.equal(proc.pid, undefined);
  assert.match(describeExit(info), /failed to start: .*ENOENT/);
  assert.equal(await proc.stop(), info);
});

test('commands are looked up on the PATH given in env; a final partial line is delivered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-path-'));
  try {
    const { symlinkSync } = await import('node:fs');
    symlinkSync(process.execPath, join(dir, 'weft-test-node'));
    const out = capture();
    const proc = new ManagedProcess({
      name: 'via-path',
      command: 'weft-test-node',
      args: ['-e', 'console.log(process.env.MARK); process.stdout.write("partial line")'],
      cwd: tmpdir(),
      env: { PATH: dir, MARK: 'found' },
      sink: out.sink,
    });
    assert.equal(await proc.spawned, true);
    assert.deepEqual(await proc.exited, { code: 0, signal: null });
    await proc.closed;
    assert.deepEqual(out.lines, [
      ['stdout', '[via-path] found'],
      ['stdout', '[via-path] partial line'],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('isProcessAlive: self yes, reaped child no', async () => {
  assert.equal(isProcessAlive(process.pid), true);
  const proc = new ManagedProcess({
    name: 'short',
    command: process.execPath,
    args: ['-e', ''],
    cwd: tmpdir(),
    env: {},
    sink: () => undefined,
  });
  await proc.exited;
  assert.ok(proc.pid);
  assert.equal(isProcessAlive(proc.pid), false);
  assert.equal(prefixLine('x', 'y'), '[x] y');
});
