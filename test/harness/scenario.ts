// A reusable small mesh for integration tests: a control plane, a `reviews` service with two
// versions (each a real upstream process behind its own sidecar), and a `productpage` client
// sidecar. Every test file passes its own subnet and ports so files can run in parallel.
import fs from 'node:fs';
import path from 'node:path';
import { writeConfig } from './config.js';
import { startControlPlane, startProxy, startUpstream, tempDir, type ControlPlaneHandle, type Proc, type ProxyHandle } from './processes.js';

export interface Scenario {
  cp: ControlPlaneHandle;
  client: ProxyHandle;
  servers: ProxyHandle[];
  apps: Proc[];
  ip: (n: number) => string;
  host: string;
}

export const REVIEWS_HOST = 'reviews.default.svc.cluster.local';

export function baseConfig(): string {
  return `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
spec:
  service: reviews
  serviceAccount: reviews
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: reviews-v2, namespace: default, labels: {app: reviews, version: v2}}
spec:
  service: reviews
  serviceAccount: reviews
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;
}

export function registryYaml(ip: (n: number) => string): string {
  const entry = (name: string, workload: string, version: string, addr: string): string => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}, namespace: default, labels: {app: reviews, version: ${version}, weft.dev/workload: ${workload}}}
spec:
  address: ${addr}
  ports: {http: 80}
  labels: {app: reviews, version: ${version}, weft.dev/workload: ${workload}}
  serviceAccount: reviews
`;
  return [entry('reviews-v1-0', 'reviews-v1', 'v1', ip(11)), entry('reviews-v2-0', 'reviews-v2', 'v2', ip(12))].join('---\n');
}

/** `cpHost`: the control plane's address (default 127.0.0.1; a subnet address avoids port clashes). */
export async function startScenario(opts: { subnet: string; xdsPort: number; httpPort: number; extraConfig?: string; cpHost?: string }): Promise<Scenario> {
  const ip = (n: number): string => `${opts.subnet}.${n}`;
  const configDir = tempDir('cfg');
  const stateDir = tempDir('state');
  fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
  writeConfig(configDir, 'base.yaml', baseConfig() + (opts.extraConfig ?? ''));
  writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', registryYaml(ip));
  const cp = await startControlPlane({ configDir, stateDir, xdsPort: opts.xdsPort, httpPort: opts.httpPort, ...(opts.cpHost ? { host: opts.cpHost } : {}) });
  const apps = await Promise.all([
    startUpstream('reviews-v1', ip(11), 9080),
    startUpstream('reviews-v2', ip(12), 9080),
  ]);
  const servers = await Promise.all([
    startProxy({ xds: cp.xds, ip: ip(11), name: 'reviews-v1-0', workload: 'reviews-v1', labels: { app: 'reviews', version: 'v1' }, serviceAccount: 'reviews' }),
    startProxy({ xds: cp.xds, ip: ip(12), name: 'reviews-v2-0', workload: 'reviews-v2', labels: { app: 'reviews', version: 'v2' }, serviceAccount: 'reviews' }),
  ]);
  const client = await startProxy({ xds: cp.xds, ip: ip(2), name: 'productpage-0', workload: 'productpage', labels: { app: 'productpage', version: 'v1' } });
  return { cp, client, servers, apps, ip, host: REVIEWS_HOST };
}
