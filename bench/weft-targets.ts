// The two Weft targets of the latency/throughput comparison, sharing one control plane:
//   weft1: client sidecar (127.0.3.1) → nginx upstream, via a ServiceEntry (Host: upstream...)
//   weft2: client sidecar → server sidecar (upstream IP, port 80) → nginx upstream, via a Workload and
//          its registry WorkloadEntry (Host: upstream2...)
// Each step fails with a message instead of throwing, so the nginx targets are still measured.

import { join } from 'node:path';
import { BODY_SIZE } from './nginx.js';
import type { Listen } from './nginx.js';
import { sleep } from './probe.js';
import type { ControlPlane, WeftProxy } from './weft.js';
import { OUTBOUND_PORT, readRssKiB, startControlPlane, startProxy, waitRouteWorks } from './weft.js';
import {
  UPSTREAM2_HOST,
  UPSTREAM_HOST,
  upstreamServiceEntry,
  upstreamWorkload,
  upstreamWorkloadEntry,
  writeConfigDirs,
} from './weft-config.js';

export interface WeftEndpoint extends Listen {
  hostHeader: string;
}

export interface WeftTargets {
  endpoints: Record<'weft1' | 'weft2', WeftEndpoint | { error: string }>;
  rssKiB?: number;
  rssError?: string;
  stop(): Promise<void>;
}

export interface WeftTargetOptions {
  repoRoot: string;
  baseDir: string;
  upstream: Listen;
  /** The client sidecar's address (127.0.3.1 by default). */
  clientIp: string;
  xdsPort: number;
  httpPort: number;
  log: (s: string) => void;
}

const msg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function startWeftTargets(o: WeftTargetOptions): Promise<WeftTargets> {
  const started: { stop(): Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    for (const s of started.reverse()) await s.stop();
  };
  const fail = (error: string): WeftTargets => ({
    endpoints: { weft1: { error }, weft2: { error } },
    rssError: error,
    stop,
  });

  const dirs = writeConfigDirs(
    join(o.baseDir, 'weft'),
    {
      'upstream.yaml': upstreamServiceEntry(o.upstream.host, o.upstream.port),
      'upstream2.yaml': upstreamWorkload(o.upstream.port),
    },
    upstreamWorkloadEntry(o.upstream.host),
  );

  let cp: ControlPlane;
  try {
    cp = await startControlPlane({
      repoRoot: o.repoRoot,
      name: 'control-plane',
      configDir: dirs.configDir,
      stateDir: dirs.stateDir,
      xdsPort: o.xdsPort,
      httpPort: o.httpPort,
    });
    started.push(cp);
  } catch (err) {
    return fail(`control plane not ready: ${msg(err)}`);
  }

  // Client and server sidecars start together; either may fail on its own.
  const [client, server] = await Promise.allSettled([
    startProxy({
      repoRoot: o.repoRoot,
      xdsPort: o.xdsPort,
      ip: o.clientIp,
      name: 'client-0',
      workload: 'client',
      labels: { app: 'client', version: 'v1' },
      serviceAccount: 'client',
    }),
    startProxy({
      repoRoot: o.repoRoot,
      xdsPort: o.xdsPort,
      ip: o.upstream.host,
      name: 'upstream-0',
      workload: 'upstream',
      labels: { app: 'upstream', version: 'v1' },
      serviceAccount: 'upstream',
    }, 30_000, [80]),
  ]);
  if (server.status === 'fulfilled') started.push(server.value);
  if (client.status === 'rejected') return fail(`client sidecar not ready: ${msg(client.reason)}`);
  const clientProxy: WeftProxy = client.value;
  started.push(clientProxy);

  const endpoints: WeftTargets['endpoints'] = {
    weft1: { error: 'not checked' },
    weft2: { error: 'not checked' },
  };
  try {
    await waitRouteWorks(o.clientIp, UPSTREAM_HOST, BODY_SIZE);
    endpoints.weft1 = { host: o.clientIp, port: OUTBOUND_PORT, hostHeader: UPSTREAM_HOST };
    o.log(`  one Weft proxy: route to ${UPSTREAM_HOST} works`);
  } catch (err) {
    endpoints.weft1 = { error: `route through the client sidecar does not work: ${msg(err)}` };
  }
  if (server.status === 'rejected') {
    endpoints.weft2 = { error: `server sidecar not ready: ${msg(server.reason)}` };
  } else {
    try {
      await waitRouteWorks(o.clientIp, UPSTREAM2_HOST, BODY_SIZE);
      endpoints.weft2 = { host: o.clientIp, port: OUTBOUND_PORT, hostHeader: UPSTREAM2_HOST };
      o.log(`  two Weft proxies: route to ${UPSTREAM2_HOST} works`);
    } catch (err) {
      endpoints.weft2 = { error: `route client sidecar → server sidecar does not work: ${msg(err)}` };
    }
  }

  const result: WeftTargets = { endpoints, stop };
  if ('error' in endpoints.weft1 && 'error' in endpoints.weft2) {
    result.rssError = 'no route through the client sidecar worked, so its config was not known to be applied';
  } else {
    await sleep(5000);
    const rss = readRssKiB(clientProxy.child.pid);
    if (rss === undefined) result.rssError = `could not read /proc/${clientProxy.child.pid}/status`;
    else {
      result.rssKiB = rss;
      o.log(`  client sidecar idle RSS after 5 s: ${(rss / 1024).toFixed(1)} MiB`);
    }
  }
  return result;
}
