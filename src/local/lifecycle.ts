// The order in which `weft up` starts and stops one workload instance, so that no client is sent
// to an instance that cannot serve (no 503s on deploy):
//
//   start: sidecar (until /ready) -> app (until its port accepts) -> WorkloadEntry published and
//          the EDS push ACKed by every proxy.
//   stop:  WorkloadEntry removed and the EDS push ACKed by every proxy (bounded) -> sidecar drains
//          (POST /drain_listeners; Connection: close; in-flight requests finish; GET /drain_status)
//          -> app stopped (SIGTERM, grace, SIGKILL) -> sidecar stopped.
//
// So a sidecar is ready before its app receives traffic and outlives its app. A rolling restart
// replaces the instances of one workload one at a time.

import { request } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { InstancePlan, ProcessSpec } from './plan.js';
import { PROXY_ADMIN_PORT } from './plan.js';
import { fetchEdsVersions, waitEdsSettled } from './eds-sync.js';
import type { EdsVersions } from './eds-sync.js';
import type { Supervisor } from './supervisor.js';

export interface LifecycleOptions {
  supervisor: Supervisor;
  instances: readonly InstancePlan[];
  processes: readonly ProcessSpec[];
  /** Writes the registry with exactly these instances. */
  writeRegistry: (published: readonly InstancePlan[]) => void;
  /** Control plane HTTP base URL, e.g. http://127.0.0.1:15014 (for /debug/syncz). */
  controlPlaneUrl: string;
  log: (msg: string) => void;
  /** Bound on waiting for every proxy to ACK an endpoint change. */
  edsWaitMs?: number;
  /** Bound on waiting for a sidecar's drain (its --drain-seconds plus a margin). */
  drainWaitMs?: number;
}

export interface RestartResult {
  instance: string;
  oldPids: number[];
  newPids: number[];
  durationMs: number;
  /** Milliseconds spent in each step, for operators and tests. */
  steps: Record<string, number>;
}

export const DEFAULT_EDS_WAIT_MS = 5_000;
export const DEFAULT_DRAIN_WAIT_MS = 7_000;

/** POST or GET on a sidecar's admin port; resolves with status and body, or null on error. */
function admin(address: string, method: string, path: string): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = request({ host: address, port: PROXY_ADMIN_PORT, method, path, agent: false, timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Starts the sidecar's drain and waits until it reports done (or waitMs). */
export async function drainSidecar(address: string, waitMs: number): Promise<boolean> {
  if ((await admin(address, 'POST', '/drain_listeners'))?.status !== 200) return false;
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const r = await admin(address, 'GET', '/drain_status');
    if (!r) return false; // gone: nothing left to wait for
    try {
      if ((JSON.parse(r.body) as { done?: unknown }).done === true) return true;
    } catch {
      return false;
    }
    await delay(50);
  }
  return false;
}

export class InstanceLifecycle {
  private readonly published = new Set<InstancePlan>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: LifecycleOptions) {}

  private specs(i: InstancePlan): { sidecar: ProcessSpec | undefined; app: ProcessSpec | undefined } {
    const find = (role: ProcessSpec['role']): ProcessSpec | undefined =>
      this.o.processes.find((p) => p.role === role && p.instance === i.name && p.address === i.address);
    return { sidecar: find('sidecar'), app: find('app') };
  }

  private pids(i: InstancePlan): number[] {
    const { sidecar, app } = this.specs(i);
    const out: number[] = [];
    for (const s of [sidecar, app]) {
      const pid = s ? this.o.supervisor.get(s.name)?.pid : undefined;
      if (pid !== undefined) out.push(pid);
    }
    return out;
  }

  /** Changes the published set and waits (bounded) until every proxy ACKed the endpoint change. */
  private async setPublished(change: () => void): Promise<boolean> {
    const before: EdsVersions = await fetchEdsVersions(this.o.controlPlaneUrl);
    change();
    this.o.writeRegistry(this.o.instances.filter((i) => this.published.has(i)));
    const ok = await waitEdsSettled(() => fetchEdsVersions(this.o.controlPlaneUrl), before, this.o.edsWaitMs ?? DEFAULT_EDS_WAIT_MS);
    if (!ok) this.o.log('endpoint change not ACKed by every proxy in time; continuing');
    return ok;
  }

  /** Publishes every instance whose app is running (after the initial start). */
  publishAll(): Promise<boolean> {
    return this.setPublished(() => {
      for (const i of this.o.instances) this.published.add(i);
    });
  }

  /** Unpublishes, drains and stops instances (in parallel), in the order the file header gives. */
  async stopInstances(list: readonly InstancePlan[], steps: Record<string, number> = {}): Promise<void> {
    const t0 = Date.now();
    if (list.some((i) => this.published.has(i))) {
      await this.setPublished(() => {
        for (const i of list) this.published.delete(i);
      });
    }
    const t1 = Date.now();
    await Promise.all(list.map((i) => (this.specs(i).sidecar ? drainSidecar(i.address, this.o.drainWaitMs ?? DEFAULT_DRAIN_WAIT_MS) : false)));
    const t2 = Date.now();
    await Promise.all(list.map((i) => this.stopProcess(this.specs(i).app)));
    const t3 = Date.now();
    await Promise.all(list.map((i) => this.stopProcess(this.specs(i).sidecar)));
    steps.unpublish = t1 - t0;
    steps.drain = t2 - t1;
    steps.stopApp = t3 - t2;
    steps.stopSidecar = Date.now() - t3;
  }

  private async stopProcess(spec: ProcessSpec | undefined): Promise<void> {
    if (spec) await this.o.supervisor.stop(spec.name);
  }

  /** Starts one instance: sidecar until ready, app until its port accepts, then publishes it. */
  async startInstance(i: InstancePlan, steps: Record<string, number> = {}, signal?: AbortSignal): Promise<void> {
    const { sidecar, app } = this.specs(i);
    const t0 = Date.now();
    if (sidecar) await this.o.supervisor.start(sidecar, signal);
    const t1 = Date.now();
    if (app) await this.o.supervisor.start(app, signal);
    const t2 = Date.now();
    await this.setPublished(() => this.published.add(i));
    steps.startSidecar = t1 - t0;
    steps.startApp = t2 - t1;
    steps.publish = Date.now() - t2;
  }

  /** Replaces every instance of one workload, one at a time. Rolling restarts never overlap. */
  restartWorkload(namespace: string, workload: string, signal?: AbortSignal): Promise<RestartResult[]> {
    const run = async (): Promise<RestartResult[]> => {
      const targets = this.o.instances.filter((i) => i.namespace === namespace && i.workload === workload);
      if (targets.length === 0) throw new Error(`no instances of workload ${namespace}/${workload}`);
      const results: RestartResult[] = [];
      for (const i of targets) {
        if (signal?.aborted) break;
        const steps: Record<string, number> = {};
        const started = Date.now();
        const oldPids = this.pids(i);
        this.o.log(`restarting ${i.name}`);
        await this.stopInstances([i], steps);
        await this.startInstance(i, steps, signal);
        const r: RestartResult = { instance: i.name, oldPids, newPids: this.pids(i), durationMs: Date.now() - started, steps };
        this.o.log(`restarted ${i.name} in ${r.durationMs} ms (${Object.entries(steps).map(([k, v]) => `${k} ${v}`).join(', ')})`);
        results.push(r);
      }
      return results;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Waits for a rolling restart in progress, if any (before shutting down). */
  idle(): Promise<unknown> {
    return this.queue;
  }
}
