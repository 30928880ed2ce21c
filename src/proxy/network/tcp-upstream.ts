// The TCP proxy's upstream connection, as Envoy's tcp_proxy gets one from its TCP connection
// pool: a slot of the cluster's max_connections first (shared with the HTTP pool; when none is
// free the connection waits in the cluster's pending queue, counted as upstream_cx_overflow, and
// beyond max_pending_requests it fails at once with UO; the slot is given back when the upstream
// socket closes), then a connect bounded by the cluster's connect_timeout (failure or timeout:
// UF), the cluster's TCP keepalive, and the result fed to outlier detection as Envoy's TCP pool
// does with split_external_local_origin_errors off: a refused/failed connect counts as a 503
// (LocalOriginConnectFailed), a connect timeout as a 504 (LocalOriginTimeout), a connect as a
// success (LocalOriginConnectSuccessFinal) that resets the host's consecutive counts.
import net from 'node:net';
import type { ClusterRuntime } from '../upstream/cluster-manager.js';
import type { Host } from '../upstream/host.js';
import { applyTcpKeepalive } from './tcp-keepalive.js';

/** Envoy's connect_timeout when a cluster has none (Istio always sends one, 10s by default). */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export type TcpUpstreamResult = { ok: true; socket: net.Socket } | { ok: false; flag: string; reason: string };

/**
 * Connects to `host` of `cluster`; `done` runs once (possibly synchronously, for UO) unless the
 * returned cancel function runs first (the downstream went away: no outlier result is recorded).
 */
export function connectTcpUpstream(cluster: ClusterRuntime, host: Host, done: (r: TcpUpstreamResult) => void): () => void {
  let cancelled = false;
  let cancelConnect = (): void => {};
  const leaveQueue = cluster.pool.reserveConnection(host, (err, release) => {
    if (cancelled) {
      release?.();
      return;
    }
    if (err || !release) {
      done({ ok: false, flag: err?.flag ?? 'UO', reason: err?.message ?? 'overflow' });
      return;
    }
    cancelConnect = connect(cluster, host, release, done);
  });
  return () => {
    cancelled = true;
    leaveQueue();
    cancelConnect();
  };
}

function connect(cluster: ClusterRuntime, host: Host, release: () => void, done: (r: TcpUpstreamResult) => void): () => void {
  let settled = false;
  const up = net.connect({ host: host.address, port: host.port, allowHalfOpen: true, noDelay: true });
  up.once('close', release);
  const ka = cluster.config.pool.tcpKeepalive;
  if (ka) applyTcpKeepalive(up, ka);
  const timeoutMs = cluster.config.connectTimeoutMs > 0 ? cluster.config.connectTimeoutMs : DEFAULT_CONNECT_TIMEOUT_MS;
  const timer = setTimeout(() => fail('UT', 'connect timeout'), timeoutMs);
  const fail = (outlierFlag: 'UF' | 'UT', reason: string): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    up.destroy();
    cluster.recordResult(host, outlierFlag, 0, false);
    done({ ok: false, flag: 'UF', reason });
  };
  const onError = (err: Error): void => fail('UF', err.message);
  up.once('error', onError);
  up.once('connect', () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    up.off('error', onError);
    cluster.recordResult(host, '-', 200, true);
    done({ ok: true, socket: up });
  });
  return () => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    up.destroy();
  };
}
