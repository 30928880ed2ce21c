// A two-sidecar mesh for the mTLS tests: a control plane, a `reviews` server (real upstream app +
// sidecar with a file-mounted SVID) and a `productpage` client sidecar with its own SVID. The
// reviews WorkloadEntry (labelled security.istio.io/tlsMode=istio) points at a recording TCP relay
// the test runs, which forwards to the server sidecar: every byte between the sidecars passes
// through it, so tests can assert what is on the wire.
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { writeConfig } from './config.js';
import { startControlPlane, startProxy, startUpstream, tempDir, type ControlPlaneHandle, type Proc, type ProxyHandle } from './processes.js';
import { makeCa, workloadSvid, writeIdentityDir, type TestCa, type TestLeaf } from './certs.js';
import { httpGet } from './http.js';

export const REVIEWS = 'reviews.default.svc.cluster.local';

export interface Relay {
  /** Bytes client → server and server → client since the last reset. */
  up: () => Buffer;
  down: () => Buffer;
  reset: () => void;
  /** Closes every relayed connection (pooled connections start over). */
  dropConnections: () => void;
  close: () => void;
}

export async function startRelay(listenHost: string, listenPort: number, toHost: string, toPort: number): Promise<Relay> {
  let up: Buffer[] = [];
  let down: Buffer[] = [];
  const open = new Set<net.Socket>();
  // Half-close passes through (TCP proxying ends one direction and keeps reading the other).
  const server = net.createServer({ allowHalfOpen: true }, (c) => {
    const s = net.connect({ host: toHost, port: toPort, allowHalfOpen: true });
    open.add(c);
    open.add(s);
    c.on('data', (d: Buffer) => {
      up.push(d);
      s.write(d);
    });
    s.on('data', (d: Buffer) => {
      down.push(d);
      c.write(d);
    });
    const end = (): void => {
      c.destroy();
      s.destroy();
      open.delete(c);
      open.delete(s);
    };
    c.on('end', () => s.end());
    s.on('end', () => c.end());
    c.on('close', end);
    s.on('close', end);
    c.on('error', end);
    s.on('error', end);
  });
  await new Promise<void>((r) => server.listen(listenPort, listenHost, r));
  return {
    up: () => Buffer.concat(up),
    down: () => Buffer.concat(down),
    reset: () => {
      up = [];
      down = [];
    },
    dropConnections: () => {
      for (const s of open) s.destroy();
      open.clear();
    },
    close: () => {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}

export interface MtlsMesh {
  cp: ControlPlaneHandle;
  client: ProxyHandle;
  server: ProxyHandle;
  app: Proc;
  relay: Relay;
  /** Relay of the TCP port (7070) and the TCP echo app behind the server sidecar. */
  tcpRelay: Relay;
  /** Relay of the HTTP/2 port (81); the h2c app answers "h2 <path>". */
  h2Relay: Relay;
  ca: TestCa;
  clientLeaf: TestLeaf;
  serverLeaf: TestLeaf;
  configDir: string;
  /** The sidecars' --cert-dir directories (write new files to rotate). */
  clientCerts: string;
  serverCerts: string;
  ip: (n: number) => string;
}

export const SERVER_WORKLOAD = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: reviews, namespace: default, labels: {app: reviews}}
spec:
  service: reviews
  serviceAccount: reviews
  ports:
  - {name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}
  - {name: tcp-echo, containerPort: 9070, servicePort: 7070, protocol: TCP}
  - {name: http2-api, containerPort: 9081, servicePort: 81, protocol: HTTP2}
  command: ["true"]
`;

/** Server sidecar at ip(11), its app at ip(11):9080, relay at ip(20):80, client sidecar at ip(2). */
export async function startMtlsMesh(opts: { subnet: string; xdsPort: number; httpPort: number; extraConfig?: string; /** Control-plane address (default 127.0.0.1). */ cpHost?: string }): Promise<MtlsMesh> {
  const ip = (n: number): string => `${opts.subnet}.${n}`;
  const configDir = tempDir('cfg');
  const stateDir = tempDir('state');
  fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
  writeConfig(configDir, 'base.yaml', SERVER_WORKLOAD + (opts.extraConfig ?? ''));
  writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-0, namespace: default}
spec:
  address: ${ip(20)}
  ports: {http: 80, tcp-echo: 7070, http2-api: 81}
  labels: {app: reviews, weft.dev/workload: reviews, security.istio.io/tlsMode: istio}
  serviceAccount: reviews
`);
  const ca = await makeCa('weft-test-root');
  const clientLeaf = await workloadSvid(ca, 'productpage');
  const serverLeaf = await workloadSvid(ca, 'reviews');
  const clientCerts = tempDir('certs-client');
  const serverCerts = tempDir('certs-server');
  writeIdentityDir(clientCerts, clientLeaf, ca.pem);
  writeIdentityDir(serverCerts, serverLeaf, ca.pem);
  const relay = await startRelay(ip(20), 80, ip(11), 80);
  const tcpRelay = await startRelay(ip(20), 7070, ip(11), 7070);
  const echo = net.createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(9070, ip(11), r));
  echo.unref();
  const h2Relay = await startRelay(ip(20), 81, ip(11), 81);
  const h2app = http2.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-seen-xfcc': String(req.headers['x-forwarded-client-cert'] ?? '') });
    res.end(`h2 ${req.url}`);
  });
  await new Promise<void>((r) => h2app.listen(9081, ip(11), r));
  h2app.unref();
  const cp = await startControlPlane({ configDir, stateDir, xdsPort: opts.xdsPort, httpPort: opts.httpPort, ...(opts.cpHost ? { host: opts.cpHost } : {}) });
  const app = await startUpstream('reviews', ip(11), 9080);
  const server = await startProxy({ xds: cp.xds, ip: ip(11), name: 'reviews-0', workload: 'reviews', labels: { app: 'reviews' }, serviceAccount: 'reviews', certDir: serverCerts });
  const client = await startProxy({ xds: cp.xds, ip: ip(2), name: 'productpage-0', workload: 'productpage', labels: { app: 'productpage' }, serviceAccount: 'productpage', certDir: clientCerts });
  return { cp, client, server, app, relay, tcpRelay, h2Relay, ca, clientLeaf, serverLeaf, configDir, clientCerts, serverCerts, ip };
}

/** The proxy's accepted config (listeners, clusters, endpoints) as parsed JSON. */
export async function configDump(admin: string): Promise<{ listeners: Record<string, unknown>[]; clusters: Record<string, unknown>[]; endpoints: Record<string, unknown>[] }> {
  return JSON.parse((await httpGet(`http://${admin}/config_dump`)).body) as { listeners: Record<string, unknown>[]; clusters: Record<string, unknown>[]; endpoints: Record<string, unknown>[] };
}

/** The value of the first Prometheus sample of `name` whose labels include all of `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  return found ? total : 0;
}
