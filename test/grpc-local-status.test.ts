// grpc_response_status on replies the proxy writes itself to gRPC callers: a grpc-js client calls
// through a real sidecar whose upstream refuses connections (UF → HTTP 503), with VirtualService
// fault aborts (grpcStatus RESOURCE_EXHAUSTED; httpStatus 403) and to an unknown host blocked by
// MeshConfig outboundTrafficPolicy REGISTRY_ONLY (block_all → 502).
// The label must be the status the gRPC client actually saw.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { startControlPlane, startProxy, stopAll, tempDir, waitFor, type ProxyHandle } from './harness/processes.js';
import { allSynced, writeConfig } from './harness/config.js';
import { httpGet } from './harness/http.js';
import { ECHO_SERVICE, type EchoReply, type EchoRequest } from './fixtures/grpc-service.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.61';
const ip = (n: number): string => `${SUBNET}.${n}`;
const HOST = 'greeter.default.svc.cluster.local';

const CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: greeter, namespace: default, labels: {app: greeter, version: v1}}
spec:
  service: greeter
  serviceAccount: greeter
  ports: [{name: grpc, containerPort: 7071, servicePort: 7070, protocol: GRPC}]
  command: ["true"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: greeter, namespace: default}
spec:
  hosts: [greeter]
  http:
  - match: [{headers: {x-fault: {exact: "grpc"}}}]
    fault: {abort: {grpcStatus: RESOURCE_EXHAUSTED, percentage: {value: 100}}}
    route: [{destination: {host: greeter}}]
  - match: [{headers: {x-fault: {exact: "forbidden"}}}]
    fault: {abort: {httpStatus: 403, percentage: {value: 100}}}
    route: [{destination: {host: greeter}}]
  - retries: {attempts: 0}
    route: [{destination: {host: greeter}}]
---
apiVersion: weft.dev/v1alpha1
kind: MeshConfig
metadata: {name: mesh, namespace: istio-system}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`;

// The endpoint's address has nothing listening: every connect is refused (UF).
const REGISTRY = `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: greeter-0, namespace: default}
spec:
  address: ${ip(11)}
  ports: {grpc: 7070}
  labels: {app: greeter, version: v1, weft.dev/workload: greeter}
  serviceAccount: greeter
`;

type EchoClient = grpc.Client & {
  unary: (req: EchoRequest, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, r?: EchoReply) => void) => grpc.ClientUnaryCall;
};

describe('grpc_response_status on local replies', { timeout: 120_000 }, () => {
  let caller: ProxyHandle;
  const clients: grpc.Client[] = [];

  const client = (authority: string): EchoClient => {
    const Ctor = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
    const c = new Ctor(`${ip(2)}:15001`, grpc.credentials.createInsecure(), { 'grpc.default_authority': authority }) as unknown as EchoClient;
    clients.push(c);
    return c;
  };
  const call = (c: EchoClient, meta: Record<string, string> = {}): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) => {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(meta)) md.set(k, v);
      c.unary({ name: 'x' }, md, (err) => resolve(err));
    });

  /** Sum of istio_requests_total at the source reporter with these labels. */
  const count = async (labels: Record<string, string>): Promise<number> => {
    const m = parseExposition((await httpGet(`http://${caller.admin}/stats/prometheus`)).body);
    return findSamples(m, 'istio_requests_total', { reporter: 'source', request_protocol: 'grpc', ...labels }).reduce((n, s) => n + s.value, 0);
  };

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'mesh.yaml', CONFIG);
    writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', REGISTRY);
    const cp = await startControlPlane({ configDir, stateDir, xdsPort: 24661, httpPort: 24662, host: ip(1) });
    caller = await startProxy({ xds: cp.xds, ip: ip(2), name: 'caller-0', workload: 'caller', labels: { app: 'caller', version: 'v1' } });
    await waitFor('synced', () => allSynced(cp.http, 1));
    const greeter = client(`${HOST}:7070`);
    // Routes are in place once the fault route answers with its own status.
    await waitFor('routes', async () => (await call(greeter, { 'x-fault': 'grpc' }))?.code === grpc.status.RESOURCE_EXHAUSTED, 20_000);
  });
  after(async () => {
    for (const c of clients) c.close();
    await stopAll();
  });

  it('upstream connect refused (UF, HTTP 503): the client sees UNAVAILABLE, the label says 14', async () => {
    const err = await call(client(`${HOST}:7070`));
    assert.equal(err?.code, grpc.status.UNAVAILABLE);
    await waitFor('UF recorded as 14', async () => (await count({ grpc_response_status: '14', response_flags: 'UF', destination_service: HOST })) >= 1);
    // Every UF series carries the status (none with an empty/absent grpc_response_status).
    assert.equal(await count({ response_flags: 'UF' }), await count({ grpc_response_status: '14', response_flags: 'UF' }));
  });

  it('fault abort with grpcStatus: the label is that status (8)', async () => {
    const err = await call(client(`${HOST}:7070`), { 'x-fault': 'grpc' });
    assert.equal(err?.code, grpc.status.RESOURCE_EXHAUSTED);
    await waitFor('FI recorded as 8', async () => (await count({ grpc_response_status: '8', response_flags: 'FI' })) >= 1);
  });

  it('fault abort with httpStatus 403: PERMISSION_DENIED (7) for the client and the label', async () => {
    const err = await call(client(`${HOST}:7070`), { 'x-fault': 'forbidden' });
    assert.equal(err?.code, grpc.status.PERMISSION_DENIED);
    await waitFor('403 recorded as 7', async () => (await count({ grpc_response_status: '7', response_code: '403', response_flags: 'FI' })) >= 1);
  });

  it('unknown host blocked (REGISTRY_ONLY, HTTP 502): UNAVAILABLE (14) for the client and the label', async () => {
    const err = await call(client('nowhere.default.svc.cluster.local:7070'));
    assert.equal(err?.code, grpc.status.UNAVAILABLE);
    await waitFor('502 recorded as 14', async () => (await count({ grpc_response_status: '14', response_code: '502', response_flags: '-', destination_service_name: 'BlackHoleCluster' })) >= 1);
  });
});
