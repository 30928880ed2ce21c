// One supervised child process: spawned as the leader of its own process group, its output split
// into lines, prefixed with "[name] " and forwarded, copied to a log file, and kept as a short tail
// for error messages. Stopping signals the whole group, so grandchildren (tsx runs the app in a
// child node) go too: SIGTERM, a grace period, then SIGKILL.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { isGroupAlive, signalGroup } from './process-group.js';

export type StreamName = 'stdout' | 'stderr';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. command not found). */
  error?: Error;
}

/** Receives each output line, already prefixed. */
export type OutputSink = (stream: StreamName, prefixedLine: string) => void;

export type LineListener = (stream: StreamName, line: string) => void;

export interface ProcessOptions {
  /** Log prefix and identity, e.g. "reviews-v1-0". */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** Raw (unprefixed) output is appended here (a restarted instance keeps its history). */
  logFile?: string;
  /** Where prefixed lines go; defaults to this process's stdout/stderr. */
  sink?: OutputSink;
  /** How many recent lines tail() keeps. */
  tailLines?: number;
}

export const DEFAULT_STOP_GRACE_MS = 5_000;
/** How long to wait for a group to vanish after SIGKILL before giving up. */
const KILL_WAIT_MS = 3_000;
const POLL_MS = 25;

export function prefixLine(name: string, line: string): string {
  return `[${name}] ${line}`;
}

export const consoleSink: OutputSink = (stream, text) => {
  (stream === 'stdout' ? process.stdout : process.stderr).write(`${text}\n`);
};

/** "exited with code 1", "killed by SIGKILL", "failed to start: spawn foo ENOENT". */
export function describeExit(info: ExitInfo): string {
  if (info.error) return `failed to start: ${info.error.message}`;
  if (info.signal) return `killed by ${info.signal}`;
  return `exited with code ${info.code ?? 'unknown'}`;
}

export class ManagedProcess {
  readonly name: string;
  /** Process id, which is also the process group id. Undefined if spawning failed. */
  readonly pid: number | undefined;
  /** Resolves when the group leader has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Resolves when the output streams have ended and every line has been delivered. */
  readonly closed: Promise<void>;
  /** Resolves true once the process is running, false if it could not be spawned. */
  readonly spawned: Promise<boolean>;

  private info: ExitInfo | undefined;
  private readonly listeners = new Set<LineListener>();
  private readonly recent: Array<{ stream: StreamName; line: string }> = [];
  private readonly tailLines: number;
  private readonly sink: OutputSink;
  private log: WriteStream | undefined;
  private stopping: Promise<ExitInfo> | undefined;

  constructor(opts: ProcessOptions) {
    this.name = opts.name;
    this.sink = opts.sink ?? consoleSink;
    this.tailLines = opts.tailLines ?? 40;
    if (opts.logFile) {
      this.log = createWriteStream(opts.logFile, { flags: 'a' });
      this.log.on('error', () => {
        this.log = undefined; // logging is best effort; the console copy still works
      });
    }

    const child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true, // leader of a new process group: stop() signals -pid
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = child.pid;

    let resolveExit!: (i: ExitInfo) => void;
    this.exited = new Promise((r) => (resolveExit = r));
    const settle = (i: ExitInfo): void => {
      if (this.info) return;
      this.info = i;
      resolveExit(i);
    };
    let resolveSpawned!: (ok: boolean) => void;
    this.spawned = new Promise((r) => (resolveSpawned = r));
    child.once('spawn', () => resolveSpawned(true));
    child.on('exit', (code, signal) => settle({ code, signal }));
    child.on('error', (error) => {
      // Spawn failures arrive here with no pid; other errors (rare) leave the exit to 'exit'.
      if (this.pid === undefined) {
        settle({ code: null, signal: null, error });
        resolveSpawned(false);
      }
    });

    const streams: Array<Promise<void>> = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const input = child[stream];
      if (!input) continue;
      const rl = createInterface({ input, crlfDelay: Infinity });
      rl.on('line', (line) => this.deliver(stream, line));
      streams.push(new Promise((r) => rl.once('close', r)));
      input.on('error', () => rl.close());
    }
    this.closed = Promise.all(streams).then(() => {
      this.log?.end();
    });
  }

  /** The exit status once the leader has exited. */
  get exitInfo(): ExitInfo | undefined {
    return this.info;
  }

  /** Subscribes to raw output lines; returns an unsubscribe function. */
  onLine(listener: LineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The most recent output lines (optionally of one stream), oldest first. */
  tail(stream?: StreamName): string[] {
    return this.recent.filter((r) => stream === undefined || r.stream === stream).map((r) => r.line);
  }

  /** True while the leader or anything else in its process group is alive. */
  isRunning(): boolean {
    return this.pid !== undefined && isGroupAlive(this.pid);
  }

  /** Sends a signal to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.pid !== undefined) signalGroup(this.pid, signal);
  }

  /** SIGKILL to the whole group, synchronously (safe in an 'exit' handler). */
  kill(): void {
    try {
      this.signal('SIGKILL');
    } catch {
      // EPERM and the like: nothing more we can do here.
    }
  }

  /**
   * Stops the whole group: SIGTERM, up to graceMs for every member to exit, then SIGKILL.
   * Idempotent: later calls return the first call's promise. Resolves with the leader's exit.
   */
  stop(graceMs: number = DEFAULT_STOP_GRACE_MS): Promise<ExitInfo> {
    this.stopping ??= this.doStop(graceMs);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<ExitInfo> {
    const pid = this.pid;
    if (pid === undefined) return this.exited;
    if (!this.gone(pid)) {
      signalGroup(pid, 'SIGTERM');
      if (!(await this.waitGone(pid, graceMs))) {
        signalGroup(pid, 'SIGKILL');
        await this.waitGone(pid, KILL_WAIT_MS);
      }
    }
    const info = await Promise.race([this.exited, delay(KILL_WAIT_MS).then(() => undefined)]);
    // Let the last lines reach the sink and the log file, but do not hang on a stuck pipe.
    await Promise.race([this.closed, delay(1_000)]);
    return info ?? { code: null, signal: null, error: new Error(`${this.name} (pid ${pid}) did not exit`) };
  }

  private gone(pid: number): boolean {
    return this.info !== undefined && !isGroupAlive(pid);
  }

  private async waitGone(pid: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.gone(pid)) {
      if (Date.now() >= deadline) return false;
      await delay(POLL_MS);
    }
    return true;
  }

  private deliver(stream: StreamName, line: string): void {
    this.log?.write(`${line}\n`);
    this.recent.push({ stream, line });
    if (this.recent.length > this.tailLines) this.recent.shift();
    this.sink(stream, prefixLine(this.name, line));
    for (const l of this.listeners) l(stream, line);
  }
}
