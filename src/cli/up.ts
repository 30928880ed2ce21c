// `weft up DIR`: runs a whole mesh on this machine: the control plane, an ingress gateway, and for
// every Workload instance a sidecar proxy and the app, each instance on its own loopback address.
// Ctrl-C stops everything (apps, then proxies, then the control plane); a second Ctrl-C kills.

import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatConfigError } from '../api/errors.js';
import type { ConfigError } from '../api/errors.js';
import { loadDirectory } from '../api/load-dir.js';
import type { Resource } from '../api/types.js';
import { buildPlan, CA_PORT, PROXY_ADMIN_PORT, PROXY_STATS_PORT } from '../local/plan.js';
import { writeBootstrapTokens } from '../control/ca/authenticator.js';
import type { Plan } from '../local/plan.js';
import { describeExit } from '../local/process.js';
import { removeRegistryFile, renderRegistry, writeRegistryFile } from '../local/registry-file.js';
import { componentLabel, summaryTable } from '../local/summary.js';
import { StartError, Supervisor } from '../local/supervisor.js';
import { InstanceLifecycle } from '../local/lifecycle.js';
import { removeUpState, startControlServer } from '../local/control-server.js';
import type { UnexpectedExit } from '../local/supervisor.js';

export const UP_USAGE = `usage: weft up DIR [flags]

Runs the mesh described by the YAML files in DIR on this machine (no Kubernetes).

flags:
  --gateway-port N   port of the ingress gateway on --gateway-ip (default 8080)
  --xds-port N       control plane xDS port (default 15010)
  --http-port N      control plane HTTP port: /metrics, /debug (default 15014)
  --ca-port N        control plane TLS port: certificates + xDS (default 15012)
  --subnet A.B.C     loopback prefix for instance addresses (default 127.0.1)
  --state-dir DIR    registry and logs (default DIR/.weft)
  --gateway-ip IP    address of the gateway and control plane (default 127.0.0.1)
  --cluster-id NAME  cluster name of every proxy: the source_cluster/destination_cluster
                     metric labels (default Kubernetes, as Istio's)
`;

export interface UpArgs {
  dir: string;
  gatewayPort: number;
  xdsPort: number;
  httpPort: number;
  caPort: number;
  subnet: string;
  stateDir: string | undefined;
  gatewayIp: string;
  clusterId?: string;
}

export type ParsedUpArgs = { kind: 'run'; args: UpArgs } | { kind: 'help' } | { kind: 'error'; message: string };

function parsePort(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new Error(`--${flag} must be a port number (1-65535), got "${text}"`);
  return n;
}

export function parseUpArgs(argv: readonly string[]): ParsedUpArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'gateway-port': { type: 'string' },
        'xds-port': { type: 'string' },
        'http-port': { type: 'string' },
        'ca-port': { type: 'string' },
        subnet: { type: 'string' },
        'state-dir': { type: 'string' },
        'gateway-ip': { type: 'string' },
        'cluster-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return { kind: 'help' };
    if (positionals.length !== 1) {
      return { kind: 'error', message: positionals.length === 0 ? 'missing DIR' : `expected one DIR, got ${positionals.length}` };
    }
    return {
      kind: 'run',
      args: {
        dir: positionals[0] as string,
        gatewayPort: parsePort('gateway-port', values['gateway-port'], 8080),
        xdsPort: parsePort('xds-port', values['xds-port'], 15010),
        httpPort: parsePort('http-port', values['http-port'], 15014),
        caPort: parsePort('ca-port', values['ca-port'], CA_PORT),
        subnet: values.subnet ?? '127.0.1',
        stateDir: values['state-dir'],
        gatewayIp: values['gateway-ip'] ?? '127.0.0.1',
        ...(values['cluster-id'] ? { clusterId: values['cluster-id'] } : {}),
      },
    };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

const out = (s: string): void => void process.stdout.write(`${s}\n`);
const err = (s: string): void => void process.stderr.write(`${s}\n`);

/** The weft package root (holds dist/ and node_modules/), found from this file's location. */
export function findPackageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'weft') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(dir) === dir) return resolve(from, '..', '..', '..');
  }
}

/** undefined if ip:port can be bound right now, else the error message. */
function bindError(ip: string, port: number): Promise<string | undefined> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    server.listen(port, ip, () => server.close(() => done(undefined)));
  });
}

/** Problems we can see before starting anything: missing build, busy ports, unusable loopback. */
async function preflight(plan: Plan, a: UpArgs, packageRoot: string): Promise<string[]> {
  const problems: string[] = [];
  for (const main of ['control', 'proxy']) {
    const file = join(packageRoot, 'dist', 'src', main, 'main.js');
    if (!existsSync(file)) problems.push(`${file} is missing: build first (npm run build)`);
  }
  const ports: Array<[number, string]> = [
    [a.gatewayPort, '--gateway-port'],
    [a.xdsPort, '--xds-port'],
    [a.httpPort, '--http-port'],
    [a.caPort, '--ca-port'],
    [PROXY_ADMIN_PORT, 'the gateway admin port'],
    [PROXY_STATS_PORT, 'the gateway stats port'],
  ];
  for (const [port, what] of ports) {
    const e = await bindError(a.gatewayIp, port);
    if (e) problems.push(`cannot listen on ${a.gatewayIp}:${port} (${what}): ${e}`);
  }
  const first = plan.instances[0];
  if (first) {
    const e = await bindError(first.address, 0);
    if (e) {
      problems.push(
        `cannot listen on ${first.address}: ${e}. Each instance needs its own loopback address; ` +
          `on macOS add them with: sudo ifconfig lo0 alias ${first.address} up`,
      );
    }
  }
  return problems;
}

function reportUnexpectedExit(e: UnexpectedExit): void {
  err(`weft up: ${componentLabel(e.spec)} ${describeExit(e.info)} unexpectedly`);
  for (const line of e.tail.slice(-10)) err(`  | ${line}`);
}

export interface UpHooks {
  /** Aborting it is the same as Ctrl-C (for in-process tests). */
  signal?: AbortSignal;
  /** Where dist/ and node_modules/.bin are; defaults to this package (tests may substitute stubs). */
  packageRoot?: string;
}

/** Runs `weft up`; resolves with the process exit code once the mesh has stopped. */
export async function runUp(argv: string[], hooks: UpHooks = {}): Promise<number> {
  const parsed = parseUpArgs(argv);
  if (parsed.kind === 'help') {
    out(UP_USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    err(`weft up: ${parsed.message}\n\n${UP_USAGE}`);
    return 2;
  }
  const a = parsed.args;
  const configDir = resolve(a.dir);
  if (!existsSync(configDir) || !statSync(configDir).isDirectory()) {
    err(`weft up: ${a.dir} is not a directory`);
    return 1;
  }

  // Named as the user typed it, so messages (and Resource.source.file) read naturally.
  const loaded: { resources: Resource[]; errors: ConfigError[] } = loadDirectory(a.dir);
  for (const e of loaded.errors) err(formatConfigError(e));
  const errorCount = loaded.errors.filter((e) => e.severity === 'error').length;
  if (errorCount > 0) {
    err(`weft up: ${errorCount} error${errorCount === 1 ? '' : 's'} in ${a.dir}; nothing started`);
    return 1;
  }

  const stateDir = resolve(a.stateDir ?? join(configDir, '.weft'));
  const packageRoot = hooks.packageRoot ?? findPackageRoot();
  const result = buildPlan(loaded.resources, {
    configDir,
    stateDir,
    gatewayPort: a.gatewayPort,
    xdsPort: a.xdsPort,
    httpPort: a.httpPort,
    caPort: a.caPort,
    subnet: a.subnet,
    gatewayIp: a.gatewayIp,
    ...(a.clusterId ? { clusterId: a.clusterId } : {}),
    packageRoot,
    nodePath: process.execPath,
    baseEnv: process.env,
  });
  if (!result.ok) {
    for (const e of result.errors) err(`weft up: ${e}`);
    return 1;
  }
  const plan = result.plan;
  const problems = await preflight(plan, a, packageRoot);
  if (problems.length > 0) {
    for (const p of problems) err(`weft up: ${p}`);
    return 1;
  }
  const workloads = new Set(plan.instances.map((i) => `${i.namespace}/${i.workload}`)).size;
  if (workloads === 0) err(`weft up: warning: no Workload resources in ${a.dir}; only the control plane and gateway will run`);

  // Fresh logs for this run (processes append, so a restarted instance keeps its history).
  rmSync(plan.logDir, { recursive: true, force: true });
  mkdirSync(plan.logDir, { recursive: true });
  // One fresh bootstrap token per workload (0600, under STATE/identity); sidecars get the file path.
  writeBootstrapTokens(stateDir, plan.identities);
  // Instances are published only once their sidecar and app are ready (see local/lifecycle.ts).
  writeRegistryFile(plan.registryFile, renderRegistry([]));
  out(`weft up: ${plan.instances.length} instance(s) of ${workloads} workload(s); logs in ${plan.logDir}`);

  const supervisor = new Supervisor({ logDir: plan.logDir });
  const lifecycle = new InstanceLifecycle({
    supervisor,
    instances: plan.instances,
    processes: plan.processes,
    writeRegistry: (published) => writeRegistryFile(plan.registryFile, renderRegistry(published)),
    controlPlaneUrl: `http://${a.gatewayIp}:${a.httpPort}`,
    log: (m) => out(`weft up: ${m}`),
  });
  let control: Server | undefined;
  const shutdown = new AbortController();
  let exitCode = 0;
  const requestStop = (code: number): void => {
    if (shutdown.signal.aborted) return;
    exitCode = code;
    shutdown.abort();
  };
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      err(`\nweft up: ${sig}: stopping (press Ctrl-C again to kill everything)`);
      requestStop(0);
    } else {
      err(`weft up: ${sig} again: killing everything`);
      supervisor.killAll();
    }
  };
  const onExit = (): void => supervisor.killAll(); // last resort: never leave processes behind
  const onHookAbort = (): void => requestStop(0);
  const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of stopSignals) process.on(sig, onSignal);
  process.on('exit', onExit);
  hooks.signal?.addEventListener('abort', onHookAbort, { once: true });
  if (hooks.signal?.aborted) requestStop(0);
  supervisor.onUnexpectedExit((e) => {
    reportUnexpectedExit(e);
    if (e.spec.critical) {
      err(`weft up: ${e.spec.name} is gone; stopping the mesh`);
      requestStop(1);
    }
  });

  try {
    try {
      await supervisor.startAll(plan.processes, shutdown.signal);
      if (!shutdown.signal.aborted) await lifecycle.publishAll();
      if (!shutdown.signal.aborted) {
        control = await startControlServer(stateDir, {
          restart: (ns, w) => lifecycle.restartWorkload(ns, w, shutdown.signal),
          instances: () => plan.instances.map((i) => `${i.namespace}/${i.name}`),
        });
        out('');
        out(summaryTable(supervisor.list()).trimEnd());
        out('');
        out(`mesh is ready: gateway ${plan.gatewayUrl}`);
        await new Promise<void>((r) => {
          if (shutdown.signal.aborted) r();
          else shutdown.signal.addEventListener('abort', () => r(), { once: true });
        });
      }
    } catch (e) {
      if (!(e instanceof StartError && e.cancelled)) {
        err(`weft up: ${(e as Error).message}`);
        if (e instanceof StartError) for (const line of e.tail.slice(-15)) err(`  | ${line}`);
        exitCode = 1;
      }
    }
    out('weft up: stopping');
    control?.close();
    removeUpState(stateDir);
    await lifecycle.idle();
    // Unpublish, drain sidecars, stop apps, then sidecars; then the gateway and control plane.
    await lifecycle.stopInstances(plan.instances);
    await supervisor.stopAll();
  } finally {
    removeRegistryFile(plan.registryFile);
    removeUpState(stateDir);
    for (const sig of stopSignals) process.off(sig, onSignal);
    process.off('exit', onExit);
    hooks.signal?.removeEventListener('abort', onHookAbort);
  }
  out('stopped');
  return exitCode;
}
