// Runs a set of ProcessSpecs: starts them stage by stage (each stage ready before the next), stops
// them in reverse stage order, reports processes that die on their own, and can start, stop and
// restart single instances by name (the boundary later features like rolling restarts build on).

import { join } from 'node:path';
import type { ProcessSpec, Readiness } from './plan.js';
import { DEFAULT_STOP_GRACE_MS, ManagedProcess, describeExit } from './process.js';
import type { ExitInfo, OutputSink } from './process.js';
import { httpOk, tcpAccepts, waitForLine, waitUntil, WaitTimeoutError } from './wait.js';

export interface SupervisorOptions {
  /** If set, each process's output is also written to <logDir>/<name>.log (dir must exist). */
  logDir?: string;
  sink?: OutputSink;
  /** SIGTERM-to-SIGKILL grace period for each process group. */
  stopGraceMs?: number;
}

/** A process that was ready and then exited without being asked to. */
export interface UnexpectedExit {
  spec: ProcessSpec;
  info: ExitInfo;
  /** Its last output lines, oldest first. */
  tail: string[];
}

/** A process that failed to become ready (it has been stopped again). */
export class StartError extends Error {
  constructor(
    readonly spec: ProcessSpec,
    message: string,
    readonly tail: string[],
    /** True if startup was cancelled (shutdown requested) rather than failed. */
    readonly cancelled: boolean,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

export interface ProcessStatus {
  spec: ProcessSpec;
  pid: number | undefined;
  ready: boolean;
  exit: ExitInfo | undefined;
}

interface Entry {
  spec: ProcessSpec;
  proc: ManagedProcess;
  ready: boolean;
  stopping: boolean;
}

function describeReadiness(r: Readiness): string {
  switch (r.kind) {
    case 'line':
      return `a line starting with "${r.startsWith}"`;
    case 'http':
      return `${r.url} to answer 200`;
    case 'tcp':
      return `${r.host}:${r.port} to accept TCP connections`;
    case 'none':
      return 'nothing';
  }
}

async function awaitReadiness(proc: ManagedProcess, r: Readiness, signal: AbortSignal): Promise<void> {
  const what = describeReadiness(r);
  switch (r.kind) {
    case 'line':
      await waitForLine(proc, (l) => l.startsWith(r.startsWith), { what, timeoutMs: r.timeoutMs, signal, stream: 'stdout' });
      return;
    case 'http':
      await waitUntil(() => httpOk(r.url), { what, timeoutMs: r.timeoutMs, signal });
      return;
    case 'tcp':
      await waitUntil(() => tcpAccepts(r.host, r.port), { what, timeoutMs: r.timeoutMs, signal });
      return;
    case 'none':
      return;
  }
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private readonly exitListeners = new Set<(e: UnexpectedExit) => void>();
  private readonly grace: number;
  private forced = false;

  constructor(private readonly opts: SupervisorOptions = {}) {
    this.grace = opts.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
  }

  /** Called when a ready process exits without stop() (its group is cleaned up as well). */
  onUnexpectedExit(listener: (e: UnexpectedExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Spawns one process and waits until it is ready. On failure it is stopped and StartError thrown. */
  async start(spec: ProcessSpec, signal?: AbortSignal): Promise<ManagedProcess> {
    const existing = this.entries.get(spec.name);
    if (existing && existing.proc.exitInfo === undefined) throw new Error(`${spec.name} is already running`);
    const proc = new ManagedProcess({
      name: spec.name,
      command: spec.command,
      args: spec.args,
      cwd: spec.cwd,
      env: spec.env,
      ...(this.opts.logDir ? { logFile: join(this.opts.logDir, `${spec.name}.log`) } : {}),
      ...(this.opts.sink ? { sink: this.opts.sink } : {}),
    });
    const entry: Entry = { spec, proc, ready: false, stopping: false };
    this.entries.set(spec.name, entry);
    void proc.exited.then((info) => this.handleExit(entry, info));

    // Stop waiting when the process dies or the caller cancels.
    const ac = new AbortController();
    const onCancel = (): void => ac.abort(signal?.reason);
    signal?.addEventListener('abort', onCancel, { once: true });
    void proc.exited.then((info) => ac.abort(new Error(describeExit(info))));
    try {
      if (signal?.aborted) throw new Error('cancelled');
      if (!(await proc.spawned)) throw new Error('spawn failed');
      await awaitReadiness(proc, spec.readiness, ac.signal);
      if (proc.exitInfo) throw new Error('exited');
      entry.ready = true;
      return proc;
    } catch (e) {
      // Read the state before stop() changes it: did it die on its own, or were we cancelled?
      const diedFirst = proc.exitInfo;
      const cancelled = signal?.aborted === true && diedFirst === undefined;
      await this.stop(spec.name);
      let message: string;
      if (cancelled) message = `${spec.name}: start cancelled`;
      else if (diedFirst?.error) {
        message = `${spec.name} failed to start: ${diedFirst.error.message} (command "${spec.command}" in ${spec.cwd})`;
      } else if (diedFirst) message = `${spec.name} ${describeExit(diedFirst)} before it was ready`;
      else if (e instanceof WaitTimeoutError) message = `${spec.name} was not ready: ${e.message}`;
      else message = `${spec.name} failed to start: ${(e as Error).message}`;
      throw new StartError(spec, message, proc.tail(), cancelled);
    } finally {
      signal?.removeEventListener('abort', onCancel);
    }
  }

  /**
   * Starts specs in ascending stage order, all of a stage in parallel, each stage ready before
   * the next. If one fails, the rest of its stage is cancelled and the first StartError thrown
   * (processes of earlier stages keep running: call stopAll()).
   */
  async startAll(specs: readonly ProcessSpec[], signal?: AbortSignal): Promise<void> {
    const stages = [...new Set(specs.map((s) => s.stage))].sort((a, b) => a - b);
    for (const stage of stages) {
      const stageAbort = new AbortController();
      const onCancel = (): void => stageAbort.abort(signal?.reason);
      signal?.addEventListener('abort', onCancel, { once: true });
      if (signal?.aborted) stageAbort.abort(signal.reason);
      let firstError: unknown;
      const results = await Promise.allSettled(
        specs
          .filter((s) => s.stage === stage)
          .map((s) =>
            this.start(s, stageAbort.signal).catch((e: unknown) => {
              firstError ??= e;
              stageAbort.abort(e);
              throw e;
            }),
          ),
      );
      signal?.removeEventListener('abort', onCancel);
      if (results.some((r) => r.status === 'rejected')) throw firstError;
    }
  }

  /** Stops one process (whole group: SIGTERM, grace, SIGKILL). Undefined if it is not known. */
  async stop(name: string): Promise<ExitInfo | undefined> {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    entry.stopping = true;
    const info = await entry.proc.stop(this.forced ? 0 : this.grace);
    if (this.entries.get(name) === entry) this.entries.delete(name);
    return info;
  }

  /** Stops one process and starts it again from the same spec, waiting until it is ready. */
  async restart(name: string, signal?: AbortSignal): Promise<ManagedProcess> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`unknown process ${name}`);
    await this.stop(name);
    return this.start(entry.spec, signal);
  }

  /** Stops everything, highest stage first; processes of one stage stop in parallel. */
  async stopAll(): Promise<void> {
    while (this.entries.size > 0) {
      const top = Math.max(...[...this.entries.values()].map((e) => e.spec.stage));
      const names = [...this.entries.values()].filter((e) => e.spec.stage === top).map((e) => e.spec.name);
      await Promise.all(names.map((n) => this.stop(n)));
    }
  }

  /** SIGKILL to every process group now, synchronously; pending and later stops finish at once. */
  killAll(): void {
    this.forced = true;
    for (const e of this.entries.values()) {
      e.stopping = true;
      e.proc.kill();
    }
  }

  get(name: string): ManagedProcess | undefined {
    return this.entries.get(name)?.proc;
  }

  /** Every known process in start order (stage, then insertion). */
  list(): ProcessStatus[] {
    return [...this.entries.values()]
      .sort((a, b) => a.spec.stage - b.spec.stage)
      .map((e) => ({ spec: e.spec, pid: e.proc.pid, ready: e.ready, exit: e.proc.exitInfo }));
  }

  private handleExit(entry: Entry, info: ExitInfo): void {
    if (entry.stopping || !entry.ready) return; // expected, or start() reports it
    entry.ready = false;
    void entry.proc.stop(0); // the leader is gone; kill whatever it left in its group
    const event: UnexpectedExit = { spec: entry.spec, info, tail: entry.proc.tail() };
    for (const l of this.exitListeners) l(event);
  }
}
