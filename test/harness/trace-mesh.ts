// The mesh the tracing tests run (test/tracing.test.ts, test/tracing-default.test.ts): a real
// control plane, an ingress gateway and two sidecars, gateway → frontend sidecar → frontend app
// (test/fixtures/trace-forwarder.ts: echoes the headers it got and forwards the trace headers, as
// Istio asks apps to) → frontend sidecar → backend sidecar → backend app (echoes its headers).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startControlPlane, startProcess, startProxy, tempDir, waitFor, type ControlPlaneHandle, type Proc, type ProxyHandle } from './processes.js';
import { request, type Resp } from './http.js';
import { writeConfig } from './config.js';
import { DIST } from './repo.js';

export const TRACE_BACKEND = 'backend.default.svc.cluster.local';

/** The two workloads, the ingress Gateway and its VirtualService to frontend. */
export const TRACE_MESH_CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: frontend, namespace: default, labels: {app: frontend}}
spec:
  service: frontend
  serviceAccount: frontend
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: backend, namespace: default, labels: {app: backend}}
spec:
  service: backend
  serviceAccount: backend
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: frontend, namespace: default}
spec:
  hosts: ["*"]
  gateways: [ingress]
  http:
  - route: [{destination: {host: frontend}}]
`;

const entry = (app: string, addr: string): string => `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${app}-0, namespace: default, labels: {app: ${app}, weft.dev/workload: ${app}}}
spec:
  address: ${addr}
  ports: {http: 80}
  labels: {app: ${app}, weft.dev/workload: ${app}}
  serviceAccount: ${app}
`;

export interface TraceMesh {
  cp: ControlPlaneHandle;
  configDir: string;
  /** frontend, backend, gateway. */
  proxies: ProxyHandle[];
  gwUrl: string;
}

/**
 * Starts the mesh on `subnet` (control plane .1, frontend .11, backend .12, gateway .30 with port
 * 80 on 18080) with `config` in the config directory, and waits until a request goes through.
 */
export async function startTraceMesh(subnet: string, config: string, beforeReady?: (proxies: ProxyHandle[]) => Promise<void>): Promise<TraceMesh> {
  const ip = (n: number): string => `${subnet}.${n}`;
  const configDir = tempDir('trace-cfg');
  const stateDir = tempDir('trace-state');
  fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
  writeConfig(configDir, 'base.yaml', config);
  writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', [entry('frontend', ip(11)), entry('backend', ip(12))].join('---\n'));
  const cp = await startControlPlane({ configDir, stateDir, xdsPort: 15010, httpPort: 15014, host: ip(1) });
  const apps: Proc[] = [
    startProcess([path.join(DIST, 'test/fixtures/trace-forwarder.js')], {
      UPSTREAM_NAME: 'frontend', UPSTREAM_HOST: ip(11), UPSTREAM_PORT: '9080', FORWARD_SIDECAR: `${ip(11)}:15001`, FORWARD_HOST: TRACE_BACKEND,
    }),
    startProcess([path.join(DIST, 'test/fixtures/upstream.js')], { UPSTREAM_NAME: 'backend', UPSTREAM_HOST: ip(12), UPSTREAM_PORT: '9080' }),
  ];
  for (const a of apps) await waitFor('app ready', () => a.output().includes('upstream ready'), 10_000, a);
  const proxies = await Promise.all([
    startProxy({ xds: cp.xds, ip: ip(11), name: 'frontend-0', workload: 'frontend', labels: { app: 'frontend' }, serviceAccount: 'frontend' }),
    startProxy({ xds: cp.xds, ip: ip(12), name: 'backend-0', workload: 'backend', labels: { app: 'backend' }, serviceAccount: 'backend' }),
    startProxy({ xds: cp.xds, ip: ip(30), name: 'ingress-0', workload: 'istio-ingressgateway', type: 'router', labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' }, portMap: '80=18080' }),
  ]);
  if (beforeReady) await beforeReady(proxies);
  const gwUrl = `http://${ip(30)}:18080`;
  await waitFor('gateway → frontend → backend', async () => (await request(`${gwUrl}/warmup`)).status === 200, 30_000);
  return { cp, configDir, proxies, gwUrl };
}

/** The request headers each app received. */
export interface Answer {
  frontend: Record<string, string>;
  backend: Record<string, string>;
}

export async function viaGateway(gwUrl: string, p: string, headers: Record<string, string> = {}): Promise<Answer> {
  const r: Resp = await request(`${gwUrl}${p}`, { headers });
  assert.equal(r.status, 200, r.body);
  const f = JSON.parse(r.body) as { headers: Record<string, string>; downstream: string };
  const b = JSON.parse(f.downstream) as { headers: Record<string, string> };
  return { frontend: f.headers, backend: b.headers };
}

export const traceIdOf = (tp: string | undefined): string => (tp ?? '').split('-')[1] ?? '';
export const spanIdOf = (tp: string | undefined): string => (tp ?? '').split('-')[2] ?? '';
