// Child processes of the benchmark, and the guarantee that none outlives it.
//
// Every child is spawned in its own process group (detached) so that a whole tree (nginx master
// and its worker, a shell and its command) can be ended with one signal to the group. The groups
// are ended when the benchmark stops for any reason: normal end, an error, Ctrl-C or SIGTERM.
// The temporary directory is removed at the same moment.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Last lines the child printed on stdout and stderr, for error messages. */
  output(): string;
  /** Resolves with the exit code (or signal name) when the child ends. */
  readonly exited: Promise<number | string>;
  isRunning(): boolean;
}

const children = new Set<Child>();
let tempRoot: string | undefined;
let handlersInstalled = false;

/** A directory under the OS temp dir owned by this run; removed at exit. */
export function benchTempDir(): string {
  if (tempRoot === undefined) {
    tempRoot = mkdtempSync(join(tmpdir(), 'weft-bench-'));
    installExitHandlers();
  }
  return tempRoot;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Keep this many characters of output for diagnostics. */
  keepOutput?: number;
}

export function spawnChild(name: string, command: string, args: readonly string[], opts: SpawnOptions = {}): Child {
  installExitHandlers();
  const proc = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = opts.keepOutput ?? 8000;
  let buf = '';
  const append = (chunk: Buffer): void => {
    buf += chunk.toString('utf8');
    if (buf.length > keep * 2) buf = buf.slice(-keep);
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      running = false;
      resolve(code ?? signal ?? 'unknown');
    });
    proc.once('error', (err) => {
      running = false;
      buf += `\nspawn error: ${err.message}`;
      resolve('spawn-error');
    });
  });
  const child: Child = {
    name,
    proc,
    pid: proc.pid ?? -1,
    output: () => buf.slice(-keep),
    exited,
    isRunning: () => running,
  };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/** Waits until a line on the child's stdout starts with `prefix`, or fails after `timeoutMs`. */
export function waitForLine(child: Child, prefix: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = '';
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (lines.some((l) => l.startsWith(prefix))) finish();
    };
    const timer = setTimeout(
      () => fail(new Error(`${child.name}: no "${prefix}" line within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onExit = (): void => fail(new Error(`${child.name} exited before printing "${prefix}"`));
    const cleanup = (): void => {
      clearTimeout(timer);
      child.proc.stdout?.off('data', onData);
      child.proc.off('exit', onExit);
    };
    const finish = (): void => {
      cleanup();
      resolve();
    };
    const fail = (err: Error): void => {
      cleanup();
      reject(new Error(`${err.message}\n--- last output of ${child.name} ---\n${child.output()}`));
    };
    if (!child.isRunning()) {
      fail(new Error(`${child.name} is not running`));
      return;
    }
    child.proc.stdout?.on('data', onData);
    child.proc.once('exit', onExit);
  });
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.pid <= 0) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // group already gone
  }
}

/** Ends a child's process group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (!child.isRunning()) {
    signalGroup(child, 'SIGKILL'); // leftovers of the group, if any
    return;
  }
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
  signalGroup(child, 'SIGKILL');
}

export async function stopAll(list: Iterable<Child> = children): Promise<void> {
  await Promise.all([...list].map((c) => stopChild(c)));
}

/** Synchronous last resort: SIGKILL every remaining group and remove the temp dir. */
function killAllSync(): void {
  for (const c of children) signalGroup(c, 'SIGKILL');
  children.clear();
  if (tempRoot !== undefined) {
    try {
      rmSync(tempRoot, { recursive: true, force: true });
    } catch {
      // best effort
    }
    tempRoot = undefined;
  }
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', killAllSync);
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}, stopping ${children.size} child process group(s)\n`);
    const done = (): void => {
      killAllSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    const hard = setTimeout(done, 2000);
    hard.unref();
    void stopAll().then(() => {
      clearTimeout(hard);
      done();
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
}

/** Frees the temp dir and children now (normal end of the run). */
export async function cleanupAll(): Promise<void> {
  await stopAll();
  killAllSync();
}
