// The mesh configuration the Weft targets use, as Istio-style YAML written into the control
// plane's config dir (and its state dir's registry).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const UPSTREAM_HOST = 'upstream.default.svc.cluster.local';
export const UPSTREAM2_HOST = 'upstream2.default.svc.cluster.local';

/** "One Weft proxy": the client sidecar reaches nginx directly through a ServiceEntry. */
export function upstreamServiceEntry(upstreamIp: string, upstreamPort: number): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: upstream
  namespace: default
spec:
  hosts:
  - ${UPSTREAM_HOST}
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 80
    name: http
    protocol: HTTP
  endpoints:
  - address: ${upstreamIp}
    ports:
      http: ${upstreamPort}
`;
}

/** "Two Weft proxies": a Workload whose instance (with its server sidecar) fronts nginx. */
export function upstreamWorkload(containerPort: number): string {
  return `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata:
  name: upstream
  namespace: default
  labels:
    app: upstream
    version: v1
spec:
  service: upstream2
  serviceAccount: upstream
  replicas: 1
  ports:
  - name: http
    containerPort: ${containerPort}
    servicePort: 80
    protocol: HTTP
  command: ["true"]
`;
}

/** The registry entry for the Workload's one instance, as `weft up` would write it. */
export function upstreamWorkloadEntry(instanceIp: string): string {
  return `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: upstream-0
  namespace: default
  labels:
    app: upstream
    version: v1
    weft.dev/workload: upstream
spec:
  address: ${instanceIp}
  ports:
    http: 80
  labels:
    app: upstream
    version: v1
    weft.dev/workload: upstream
  serviceAccount: upstream
`;
}

/**
 * The VirtualService the propagation test changes. `generation` 0 is a plain route; any other
 * generation adds a header-match route in front of it, so each change alters the route table.
 */
export function upstreamVirtualService(generation: number): string {
  const headerRoute =
    generation === 0
      ? ''
      : `  - name: bench-change-${generation}
    match:
    - headers:
        x-bench-change:
          exact: "${generation}"
    route:
    - destination:
        host: ${UPSTREAM_HOST}
        port:
          number: 80
`;
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: upstream-routes
  namespace: default
spec:
  hosts:
  - ${UPSTREAM_HOST}
  http:
${headerRoute}  - name: default
    route:
    - destination:
        host: ${UPSTREAM_HOST}
        port:
          number: 80
`;
}

export interface ConfigDirs {
  configDir: string;
  stateDir: string;
}

/** Creates DIR/config and DIR/state(/registry) and writes the given files into them. */
export function writeConfigDirs(
  baseDir: string,
  configFiles: Record<string, string>,
  registryInstances?: string,
): ConfigDirs {
  const configDir = join(baseDir, 'config');
  const stateDir = join(baseDir, 'state');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(join(stateDir, 'registry'), { recursive: true });
  for (const [name, text] of Object.entries(configFiles)) writeFileSync(join(configDir, name), text);
  if (registryInstances !== undefined) writeFileSync(join(stateDir, 'registry', 'instances.yaml'), registryInstances);
  return { configDir, stateDir };
}
