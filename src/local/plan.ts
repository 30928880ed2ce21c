// From validated config to the list of processes `weft up` runs: control plane, ingress gateway,
// one sidecar and one app per workload instance. Pure: no file system, no environment reads;
// everything machine-specific comes in through PlanOptions.

import { delimiter, dirname, join, resolve } from 'node:path';
import type { LocalWorkload, Resource, WorkloadPort } from '../api/types.js';
import { allocateAddresses, parseSubnet } from './addresses.js';
import { tokenFileFor, type WorkloadForToken } from '../control/ca/authenticator.js';

export interface PlanOptions {
  /** Absolute config directory (what the control plane watches). */
  configDir: string;
  /** Absolute state directory (registry/, logs/). */
  stateDir: string;
  gatewayPort: number;
  xdsPort: number;
  httpPort: number;
  /** Control plane TLS port: certificate service + ADS (default 15012). */
  caPort?: number;
  /** Three-octet loopback prefix for instance addresses, e.g. "127.0.1". */
  subnet: string;
  /** Address of the gateway proxy and the control plane; 127.0.0.1 by default. */
  gatewayIp: string;
  /** The proxies' cluster name (source_cluster / destination_cluster labels); proxy default when unset. */
  clusterId?: string;
  /** Root of the weft package: holds dist/ and node_modules/.bin. */
  packageRoot: string;
  /** The node binary that runs the control plane and the proxies (process.execPath). */
  nodePath: string;
  /** Environment every child inherits (process.env). */
  baseEnv: Readonly<Record<string, string | undefined>>;
}

export const PROXY_ADMIN_PORT = 15000;
export const PROXY_STATS_PORT = 15090;
export const PROXY_OUTBOUND_PORT = 15001;
export const CA_PORT = 15012;
export const CONTROL_PLANE_READY_LINE = 'weft-control-plane ready';

export const CONTROL_PLANE_READY_TIMEOUT_MS = 20_000;
export const PROXY_READY_TIMEOUT_MS = 30_000;
export const APP_READY_TIMEOUT_MS = 30_000;

export const GATEWAY = {
  name: 'istio-ingressgateway-0',
  workload: 'istio-ingressgateway',
  namespace: 'istio-system',
  labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
  serviceAccount: 'istio-ingressgateway',
} as const;

/** Label every local instance carries, naming its Workload. */
export const WORKLOAD_LABEL = 'weft.dev/workload';
/** Istio's label for the cluster a workload runs in (EDS endpoint metadata carries it). */
export const CLUSTER_LABEL = 'topology.istio.io/cluster';

/** Start order: every process of a stage is ready before the next stage starts; stop is reverse. */
export const Stage = { controlPlane: 0, proxies: 1, apps: 2 } as const;

export type Readiness =
  | { kind: 'line'; startsWith: string; timeoutMs: number }
  | { kind: 'http'; url: string; timeoutMs: number }
  | { kind: 'tcp'; host: string; port: number; timeoutMs: number }
  | { kind: 'none' };

export type Role = 'control-plane' | 'gateway' | 'sidecar' | 'app';

/** One process to supervise. */
export interface ProcessSpec {
  /** Unique; used as the log prefix "[name] " and the log file name. */
  name: string;
  role: Role;
  /** The instance it belongs to (the gateway's or a workload's), or "control-plane". */
  instance: string;
  stage: number;
  /** If a critical process dies, the whole mesh stops. */
  critical: boolean;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  readiness: Readiness;
  /** For the summary table. */
  address: string;
  ports: string;
}

/** One replica of a Workload with its address. */
export interface InstancePlan {
  /** "<workload>-<index>". */
  name: string;
  namespace: string;
  workload: string;
  index: number;
  address: string;
  /** Short service name, in the instance's namespace. */
  service: string;
  serviceAccount: string;
  /** Workload labels plus weft.dev/workload. */
  labels: Record<string, string>;
  ports: WorkloadPort[];
  command: string[];
  env: Record<string, string>;
  cwd: string;
  /** The Workload's locality ("region/zone/subzone"), if any. */
  locality?: string;
}

export interface Plan {
  instances: InstancePlan[];
  /** Control plane first, then gateway and sidecars, then apps. */
  processes: ProcessSpec[];
  gatewayUrl: string;
  registryFile: string;
  logDir: string;
  /** One bootstrap token per workload (gateway included); `weft up` writes them before starting. */
  identities: WorkloadForToken[];
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; errors: string[] };

export function registryFilePath(stateDir: string): string {
  return join(stateDir, 'registry', 'instances.yaml');
}

export function logDirPath(stateDir: string): string {
  return join(stateDir, 'logs');
}

/** "k=v,k2=v2" in key order, as the proxy's --labels flag takes it. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

function cleanEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function instancesOf(workloads: readonly LocalWorkload[], configDir: string): Omit<InstancePlan, 'address'>[] {
  const out: Omit<InstancePlan, 'address'>[] = [];
  for (const w of workloads) {
    const baseDir = w.source ? dirname(resolve(w.source.file)) : configDir;
    const cwd = resolve(baseDir, w.spec.workingDir ?? '.');
    const labels = { ...w.metadata.labels, [WORKLOAD_LABEL]: w.metadata.name };
    for (let index = 0; index < w.spec.replicas; index++) {
      out.push({
        name: `${w.metadata.name}-${index}`,
        namespace: w.metadata.namespace,
        workload: w.metadata.name,
        index,
        service: w.spec.service,
        serviceAccount: w.spec.serviceAccount,
        labels,
        ports: w.spec.ports,
        command: w.spec.command,
        env: w.spec.env,
        cwd,
        ...(w.spec.locality ? { locality: w.spec.locality } : {}),
      });
    }
  }
  return out;
}

/** With --cluster-id, every instance is labelled with its cluster (so EDS metadata names it). */
function withCluster<T extends { labels: Readonly<Record<string, string>> }>(instances: T[], clusterId: string | undefined): T[] {
  if (!clusterId) return instances;
  return instances.map((i) => ({ ...i, labels: { ...i.labels, [CLUSTER_LABEL]: clusterId } }));
}

function proxyArgs(
  o: PlanOptions,
  p: { type: 'sidecar' | 'router'; ip: string; name: string; namespace: string; workload: string },
  labels: Readonly<Record<string, string>>,
  serviceAccount: string,
): string[] {
  return [
    join(o.packageRoot, 'dist', 'src', 'proxy', 'main.js'),
    '--xds-address', `${o.gatewayIp}:${o.xdsPort}`,
    // Workload identity: CSR to the CA over TLS, trusting the root the control plane wrote.
    '--ca-address', `${o.gatewayIp}:${o.caPort ?? CA_PORT}`,
    '--ca-root-file', join(o.stateDir, 'ca', 'trust-bundle.pem'),
    '--token-file', tokenFileFor(o.stateDir, p.namespace, p.workload),
    '--type', p.type,
    '--ip', p.ip,
    '--name', p.name,
    '--namespace', p.namespace,
    '--workload', p.workload,
    '--labels', formatLabels(labels),
    '--service-account', serviceAccount,
    '--admin-port', String(PROXY_ADMIN_PORT),
    '--stats-port', String(PROXY_STATS_PORT),
    ...(o.clusterId ? ['--cluster', o.clusterId] : []),
  ];
}

function portsText(ports: readonly WorkloadPort[]): string {
  if (ports.length === 0) return '-';
  return ports
    .map((p) => (p.servicePort === p.containerPort ? `${p.name} ${p.containerPort}` : `${p.name} ${p.containerPort} (svc ${p.servicePort})`))
    .join(', ');
}

/** Process names are instance names; when two namespaces share an instance name, add the namespace. */
function processNames(instances: readonly Omit<InstancePlan, 'address'>[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const i of instances) count.set(i.name, (count.get(i.name) ?? 0) + 1);
  const names = new Map<string, string>();
  for (const i of instances) {
    names.set(`${i.namespace}/${i.name}`, (count.get(i.name) ?? 0) > 1 ? `${i.name}.${i.namespace}` : i.name);
  }
  return names;
}

export function buildPlan(resources: readonly Resource[], o: PlanOptions): PlanResult {
  const errors: string[] = [];
  let subnet;
  try {
    subnet = parseSubnet(o.subnet);
  } catch (e) {
    return { ok: false, errors: [(e as Error).message] };
  }
  const workloads = resources.filter((r): r is LocalWorkload => r.kind === 'Workload');
  let instances: InstancePlan[];
  try {
    instances = allocateAddresses(subnet, withCluster(instancesOf(workloads, o.configDir), o.clusterId), new Set([o.gatewayIp]));
  } catch (e) {
    return { ok: false, errors: [(e as Error).message] };
  }
  const names = processNames(instances);
  const env = cleanEnv(o.baseEnv);
  const pkgRoot = o.packageRoot;

  const processes: ProcessSpec[] = [];
  processes.push({
    name: 'control-plane',
    role: 'control-plane',
    instance: 'control-plane',
    stage: Stage.controlPlane,
    critical: true,
    command: o.nodePath,
    args: [
      join(pkgRoot, 'dist', 'src', 'control', 'main.js'),
      '--config-dir', o.configDir,
      '--state-dir', o.stateDir,
      '--xds-address', `${o.gatewayIp}:${o.xdsPort}`,
      '--http-address', `${o.gatewayIp}:${o.httpPort}`,
      '--secure-xds-address', `${o.gatewayIp}:${o.caPort ?? CA_PORT}`,
    ],
    cwd: pkgRoot,
    env,
    readiness: { kind: 'line', startsWith: CONTROL_PLANE_READY_LINE, timeoutMs: CONTROL_PLANE_READY_TIMEOUT_MS },
    address: o.gatewayIp,
    ports: `xds ${o.xdsPort}, xds-tls ${o.caPort ?? CA_PORT}, http ${o.httpPort}`,
  });

  processes.push({
    name: GATEWAY.name,
    role: 'gateway',
    instance: GATEWAY.name,
    stage: Stage.proxies,
    critical: false,
    command: o.nodePath,
    args: [
      ...proxyArgs(o, { type: 'router', ip: o.gatewayIp, ...GATEWAY }, GATEWAY.labels, GATEWAY.serviceAccount),
      '--port-map', `80=${o.gatewayPort}`,
    ],
    cwd: pkgRoot,
    env,
    readiness: { kind: 'http', url: `http://${o.gatewayIp}:${PROXY_ADMIN_PORT}/ready`, timeoutMs: PROXY_READY_TIMEOUT_MS },
    address: o.gatewayIp,
    ports: `http ${o.gatewayPort} (80), admin ${PROXY_ADMIN_PORT}, stats ${PROXY_STATS_PORT}`,
  });

  for (const i of instances) {
    const name = names.get(`${i.namespace}/${i.name}`) ?? i.name;
    processes.push({
      name: `${name}.sidecar`,
      role: 'sidecar',
      instance: i.name,
      stage: Stage.proxies,
      critical: false,
      command: o.nodePath,
      args: [
        ...proxyArgs(o, { type: 'sidecar', ip: i.address, ...i }, i.labels, i.serviceAccount),
        '--outbound-port', String(PROXY_OUTBOUND_PORT),
        ...(i.locality ? ['--locality', i.locality] : []),
      ],
      cwd: pkgRoot,
      env,
      readiness: { kind: 'http', url: `http://${i.address}:${PROXY_ADMIN_PORT}/ready`, timeoutMs: PROXY_READY_TIMEOUT_MS },
      address: i.address,
      ports: `admin ${PROXY_ADMIN_PORT}, stats ${PROXY_STATS_PORT}, outbound ${PROXY_OUTBOUND_PORT}`,
    });
  }

  for (const i of instances) {
    const [command, ...args] = i.command;
    if (command === undefined) {
      errors.push(`Workload ${i.namespace}/${i.workload}: spec.command is empty`);
      continue;
    }
    const name = names.get(`${i.namespace}/${i.name}`) ?? i.name;
    const first = i.ports[0];
    const binDir = join(pkgRoot, 'node_modules', '.bin');
    const appEnv: Record<string, string> = {
      ...env,
      ...i.env,
      PATH: env.PATH ? `${binDir}${delimiter}${env.PATH}` : binDir,
      WEFT_HOST: i.address,
      HTTP_PROXY: `http://${i.address}:${PROXY_OUTBOUND_PORT}`,
      WEFT_WORKLOAD: i.workload,
      WEFT_INSTANCE: i.name,
      WEFT_NAMESPACE: i.namespace,
      WEFT_SERVICE: `${i.service}.${i.namespace}.svc.cluster.local`,
    };
    // A workload env PATH still gets the weft bin dir in front.
    if (i.env.PATH !== undefined) appEnv.PATH = `${binDir}${delimiter}${i.env.PATH}`;
    if (first) appEnv.PORT = String(first.containerPort);
    processes.push({
      name,
      role: 'app',
      instance: i.name,
      stage: Stage.apps,
      critical: false,
      command,
      args,
      cwd: i.cwd,
      env: appEnv,
      readiness: first
        ? { kind: 'tcp', host: i.address, port: first.containerPort, timeoutMs: APP_READY_TIMEOUT_MS }
        : { kind: 'none' },
      address: i.address,
      ports: portsText(i.ports),
    });
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    plan: {
      instances,
      processes,
      gatewayUrl: `http://${o.gatewayIp}:${o.gatewayPort}/`,
      registryFile: registryFilePath(o.stateDir),
      logDir: logDirPath(o.stateDir),
      identities: [
        { namespace: GATEWAY.namespace, workload: GATEWAY.workload, serviceAccount: GATEWAY.serviceAccount },
        ...instances.map((i) => ({ namespace: i.namespace, workload: i.workload, serviceAccount: i.serviceAccount })),
      ],
    },
  };
}
