// HTTP/2 and TCP through two Weft sidecars, each beside its direct baseline, in the same run:
//   h2direct:  h2load → h2c app (node:http2, 1 KiB body) on <server-ip>:8080
//   h2weft2:   h2load → client sidecar outbound 15001 (h2c, :authority proto...) → server sidecar
//              inbound :80 (port `http2`, protocol HTTP2, so h2c on both hops) → h2c app
//   tcpdirect: Node TCP client → sink app on <server-ip>:9001
//   tcpweft2:  Node TCP client → client sidecar's outbound tcp_proxy on <client-ip>:9000 → server
//              sidecar inbound tcp_proxy on <server-ip>:9000 (port `tcp`, protocol TCP) → sink app
// One control plane of its own with a Workload `proto` (one instance) and a client sidecar.

import { join } from 'node:path';
import { runH2load } from './h2load.js';
import type { H2loadResult } from './h2load.js';
import type { Listen } from './nginx.js';
import { requireFree, sleep, waitUntil } from './probe.js';
import type { Child } from './procs.js';
import { spawnChild, stopChild, waitForLine } from './procs.js';
import { runTcpLoad } from './tcp-load.js';
import type { TcpLoadResult } from './tcp-load.js';
import { OUTBOUND_PORT, startControlPlane, startProxy } from './weft.js';
import { writeConfigDirs } from './weft-config.js';

/** Printed by bench/proto-servers.ts once it listens. */
export const PROTO_READY_LINE = 'proto-server ready';
export const PROTO_HOST = 'proto.default.svc.cluster.local';
export const H2_APP_PORT = 8080;
export const H2_SERVICE_PORT = 80;
export const TCP_APP_PORT = 9001;
export const TCP_SERVICE_PORT = 9000;

export interface ProtoSettings {
  h2Clients: number;
  h2Streams: number;
  h2Threads: number;
  h2WarmupS: number;
  h2DurationS: number;
  tcpConnections: number;
  tcpBytesPerConnection: number;
  tcpTimeLimitS: number;
}

export interface ProtoMeasurement<T> {
  target: string;
  result?: T;
  error?: string;
}

export interface ProtoReport {
  settings: ProtoSettings;
  h2?: { direct: ProtoMeasurement<H2loadResult>; weft2: ProtoMeasurement<H2loadResult> };
  tcp?: { direct: ProtoMeasurement<TcpLoadResult>; weft2: ProtoMeasurement<TcpLoadResult> };
  h2loadVersion?: string;
}

export function protoWorkload(): string {
  return `apiVersion: weft.dev/v1alpha1
kind: Workload
metadata:
  name: proto
  namespace: default
  labels:
    app: proto
    version: v1
spec:
  service: proto
  serviceAccount: proto
  replicas: 1
  ports:
  - name: http2
    containerPort: ${H2_APP_PORT}
    servicePort: ${H2_SERVICE_PORT}
    protocol: HTTP2
  - name: tcp
    containerPort: ${TCP_APP_PORT}
    servicePort: ${TCP_SERVICE_PORT}
    protocol: TCP
  command: ["true"]
`;
}

export function protoWorkloadEntry(instanceIp: string): string {
  return `apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: proto-0
  namespace: default
  labels:
    app: proto
    version: v1
    weft.dev/workload: proto
spec:
  address: ${instanceIp}
  ports:
    http2: ${H2_SERVICE_PORT}
    tcp: ${TCP_SERVICE_PORT}
  labels:
    app: proto
    version: v1
    weft.dev/workload: proto
  serviceAccount: proto
`;
}

export interface ProtoOptions {
  repoRoot: string;
  baseDir: string;
  serverIp: string;
  clientIp: string;
  xdsPort: number;
  httpPort: number;
  h2load: string | undefined;
  h2: boolean;
  tcp: boolean;
  settings: ProtoSettings;
  log: (s: string) => void;
}

const msg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function startApp(repoRoot: string, mode: 'h2' | 'sink', at: Listen): Promise<Child> {
  await requireFree(`${mode} app`, [at]);
  const child = spawnChild(`app-${mode}`, process.execPath, [
    join(repoRoot, 'dist', 'bench', 'proto-servers.js'),
    mode,
    at.host,
    String(at.port),
  ]);
  try {
    await waitForLine(child, PROTO_READY_LINE, 10_000);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return child;
}

async function measureH2(o: ProtoOptions, label: string, at: Listen, authority?: string): Promise<ProtoMeasurement<H2loadResult>> {
  const m: ProtoMeasurement<H2loadResult> = { target: `${at.host}:${at.port}` };
  o.log(`- ${label} (${m.target}${authority !== undefined ? `, :authority ${authority}` : ''})`);
  if (o.h2load === undefined) {
    m.error = 'h2load not installed';
    return m;
  }
  const s = o.settings;
  try {
    const r = await runH2load({
      h2load: o.h2load,
      host: at.host,
      port: at.port,
      authority,
      clients: s.h2Clients,
      streams: s.h2Streams,
      threads: s.h2Threads,
      warmupS: s.h2WarmupS,
      durationS: s.h2DurationS,
    });
    m.result = r;
    o.log(
      `    ${r.rps.toFixed(0)} rps, latency mean ${r.latencyMeanMs?.toFixed(3) ?? '?'} max ${r.latencyMaxMs?.toFixed(3) ?? '?'} ms, ` +
        `${r.succeeded} ok, ${r.failed} failed, ${r.errored} errored, ${r.non2xx} non-2xx`,
    );
  } catch (err) {
    m.error = msg(err);
    o.log(`    h2load failed: ${m.error}`);
  }
  await sleep(500);
  return m;
}

async function measureTcp(o: ProtoOptions, label: string, at: Listen): Promise<ProtoMeasurement<TcpLoadResult>> {
  const m: ProtoMeasurement<TcpLoadResult> = { target: `${at.host}:${at.port}` };
  o.log(`- ${label} (${m.target})`);
  const s = o.settings;
  try {
    const r = await runTcpLoad({
      host: at.host,
      port: at.port,
      connections: s.tcpConnections,
      bytesPerConnection: s.tcpBytesPerConnection,
      timeLimitMs: s.tcpTimeLimitS * 1000,
    });
    m.result = r;
    o.log(
      `    ${r.mbPerS.toFixed(0)} MB/s (${(r.bytes / 2 ** 20).toFixed(0)} MiB in ${(r.elapsedMs / 1000).toFixed(2)} s), ` +
        `${r.completed}/${s.tcpConnections} acknowledged${r.timedOut ? ', time limit reached' : ''}, ${r.errors} errors` +
        `${r.firstError !== undefined ? ` (${r.firstError})` : ''}`,
    );
  } catch (err) {
    m.error = msg(err);
    o.log(`    TCP load failed: ${m.error}`);
  }
  await sleep(500);
  return m;
}

/** Waits until a TCP connection through `at` reaches the sink (a tiny transfer is acknowledged). */
async function waitTcpWorks(at: Listen, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    `a 1-byte transfer through ${at.host}:${at.port} acknowledged by the sink`,
    async () => {
      const r = await runTcpLoad({ host: at.host, port: at.port, connections: 1, bytesPerConnection: 1, timeLimitMs: 2000 });
      if (r.completed === 1) return true;
      throw new Error(r.firstError ?? (r.timedOut ? 'no acknowledgement within 2 s' : 'not acknowledged'));
    },
    timeoutMs,
    200,
  );
}

/** Waits until a short h2load run through `at` gets only 2xx answers. */
async function waitH2Works(h2load: string, at: Listen, authority: string, timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    `an h2c request through ${at.host}:${at.port} with :authority ${authority} to succeed`,
    async () => {
      const r = await runH2load({ h2load, host: at.host, port: at.port, authority, clients: 1, streams: 1, threads: 1, warmupS: 0, durationS: 1 });
      if (r.succeeded > 0 && r.non2xx === 0 && r.failed === 0 && r.errored === 0) return true;
      throw new Error(`${r.succeeded} succeeded, ${r.non2xx} non-2xx, ${r.failed} failed, ${r.errored} errored`);
    },
    timeoutMs,
    300,
  );
}

export async function runProtoScenarios(o: ProtoOptions): Promise<ProtoReport> {
  const report: ProtoReport = { settings: o.settings };
  const started: { stop(): Promise<void> }[] = [];
  const h2App: Listen = { host: o.serverIp, port: H2_APP_PORT };
  const tcpApp: Listen = { host: o.serverIp, port: TCP_APP_PORT };
  try {
    // Apps first: the direct baselines do not depend on Weft.
    let h2Up: string | undefined;
    let tcpUp: string | undefined;
    if (o.h2) {
      try {
        const c = await startApp(o.repoRoot, 'h2', h2App);
        started.push({ stop: () => stopChild(c) });
      } catch (err) {
        h2Up = `h2c app did not start: ${msg(err)}`;
      }
    }
    if (o.tcp) {
      try {
        const c = await startApp(o.repoRoot, 'sink', tcpApp);
        started.push({ stop: () => stopChild(c) });
      } catch (err) {
        tcpUp = `TCP sink did not start: ${msg(err)}`;
      }
    }

    // Weft: control plane, server sidecar (inbound :80 and :9000) and client sidecar.
    let weftError: string | undefined;
    try {
      const dirs = writeConfigDirs(join(o.baseDir, 'weft-proto'), { 'proto.yaml': protoWorkload() }, protoWorkloadEntry(o.serverIp));
      const cp = await startControlPlane({
        repoRoot: o.repoRoot,
        name: 'control-plane-proto',
        configDir: dirs.configDir,
        stateDir: dirs.stateDir,
        xdsPort: o.xdsPort,
        httpPort: o.httpPort,
      });
      started.push(cp);
      const [server, client] = await Promise.allSettled([
        startProxy({
          repoRoot: o.repoRoot,
          xdsPort: o.xdsPort,
          ip: o.serverIp,
          name: 'proto-0',
          workload: 'proto',
          labels: { app: 'proto', version: 'v1' },
          serviceAccount: 'proto',
        }, 30_000, [H2_SERVICE_PORT, TCP_SERVICE_PORT]),
        startProxy({
          repoRoot: o.repoRoot,
          xdsPort: o.xdsPort,
          ip: o.clientIp,
          name: 'proto-client-0',
          workload: 'proto-client',
          labels: { app: 'proto-client', version: 'v1' },
          serviceAccount: 'proto-client',
        }, 30_000, [TCP_SERVICE_PORT]),
      ]);
      if (server.status === 'fulfilled') started.push(server.value);
      if (client.status === 'fulfilled') started.push(client.value);
      if (server.status === 'rejected') weftError = `server sidecar not ready: ${msg(server.reason)}`;
      else if (client.status === 'rejected') weftError = `client sidecar not ready: ${msg(client.reason)}`;
    } catch (err) {
      weftError = `control plane not ready: ${msg(err)}`;
    }

    const h2Weft: Listen = { host: o.clientIp, port: OUTBOUND_PORT };
    const tcpWeft: Listen = { host: o.clientIp, port: TCP_SERVICE_PORT };
    if (o.h2) {
      const s = o.settings;
      o.log(`HTTP/2 (h2c): h2load ${s.h2Clients} connections × ${s.h2Streams} streams, ${s.h2Threads} threads, ${s.h2WarmupS} s warm-up + ${s.h2DurationS} s`);
      const direct = h2Up !== undefined ? { target: `${h2App.host}:${h2App.port}`, error: h2Up } : await measureH2(o, 'h2 direct', h2App);
      let weft2: ProtoMeasurement<H2loadResult> = { target: `${h2Weft.host}:${h2Weft.port}` };
      if (h2Up !== undefined) weft2.error = h2Up;
      else if (weftError !== undefined) weft2.error = weftError;
      else if (o.h2load === undefined) weft2.error = 'h2load not installed';
      else {
        try {
          await waitH2Works(o.h2load, h2Weft, PROTO_HOST);
          o.log(`  two Weft proxies: h2c route to ${PROTO_HOST} works`);
          weft2 = await measureH2(o, 'h2 two Weft proxies', h2Weft, PROTO_HOST);
        } catch (err) {
          weft2.error = `h2c route client sidecar → server sidecar does not work: ${msg(err)}`;
        }
      }
      report.h2 = { direct, weft2 };
    }
    if (o.tcp) {
      const s = o.settings;
      o.log(`TCP: ${s.tcpConnections} connections × ${(s.tcpBytesPerConnection / 2 ** 20).toFixed(0)} MiB, limit ${s.tcpTimeLimitS} s`);
      const direct = tcpUp !== undefined ? { target: `${tcpApp.host}:${tcpApp.port}`, error: tcpUp } : await measureTcp(o, 'tcp direct', tcpApp);
      let weft2: ProtoMeasurement<TcpLoadResult> = { target: `${tcpWeft.host}:${tcpWeft.port}` };
      if (tcpUp !== undefined) weft2.error = tcpUp;
      else if (weftError !== undefined) weft2.error = weftError;
      else {
        try {
          await waitTcpWorks(tcpWeft);
          o.log(`  two Weft proxies: TCP to ${PROTO_HOST}:${TCP_SERVICE_PORT} works`);
          weft2 = await measureTcp(o, 'tcp two Weft proxies', tcpWeft);
        } catch (err) {
          weft2.error = `TCP client sidecar → server sidecar does not work: ${msg(err)}`;
        }
      }
      report.tcp = { direct, weft2 };
    }
  } finally {
    for (const s of started.reverse()) await s.stop();
  }
  return report;
}
