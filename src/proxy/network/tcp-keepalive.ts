// TCP keepalive on upstream sockets (cluster upstream_connection_options.tcp_keepalive, from a
// DestinationRule's connectionPool.tcp.tcpKeepalive). Node's setKeepAlive sets SO_KEEPALIVE and
// the idle time only; the interval and probe count go through our node-api addon
// (native/tcp-keepalive, built into dist/native by scripts/build-native.sh) on the socket's fd
// once it is connected. Without the addon: a warning once, and only the idle time applies.
import { createRequire } from 'node:module';
import type net from 'node:net';
import type { TcpKeepaliveConfig } from '../config/cluster-policy.js';

export interface KeepaliveOptions {
  enabled: boolean;
  idleSeconds: number;
  intervalSeconds: number;
  probes: number;
}

interface KeepaliveAddon {
  set(fd: number, idleSeconds: number, intervalSeconds: number, probes: number): void;
  get(fd: number): KeepaliveOptions;
}

/** Where the build puts the addon, relative to this file in dist/src/proxy/network/. */
const ADDON_PATH = '../../../native/tcp-keepalive.node';

let addon: KeepaliveAddon | null | undefined;
let loadError = '';
let warned = false;

/** The addon, or null (with the reason in keepaliveAddonError()) when it is not built. */
export function keepaliveAddon(): KeepaliveAddon | null {
  if (addon === undefined) {
    try {
      addon = createRequire(import.meta.url)(ADDON_PATH) as KeepaliveAddon;
    } catch (err) {
      addon = null;
      loadError = err instanceof Error ? err.message : String(err);
    }
  }
  return addon;
}

export function keepaliveAddonError(): string {
  return loadError;
}

/** Seconds for the kernel (whole seconds, at least 1 when set, at most Linux's 32767); 0 = OS default. */
function seconds(ms: number): number {
  return ms > 0 ? Math.min(32_767, Math.max(1, Math.round(ms / 1000))) : 0;
}

/** The socket's file descriptor (Linux TCP handles), or null when it has none (closed, not yet open). */
function socketFd(sock: net.Socket): number | null {
  const fd = (sock as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
}

/**
 * Turns keepalive on for `sock` with `cfg`'s idle time, interval and probe count. May be called
 * before the socket connects: the interval and count are set on 'connect'. Never throws (a socket
 * closed in between keeps its defaults).
 */
export function applyTcpKeepalive(sock: net.Socket, cfg: TcpKeepaliveConfig): void {
  sock.setKeepAlive(true, cfg.timeMs);
  if (cfg.intervalMs <= 0 && cfg.probes <= 0) return;
  const ka = keepaliveAddon();
  if (!ka) {
    if (!warned) {
      warned = true;
      console.warn(`weft: tcp keepalive interval/probes not applied (native addon not available: ${loadError}); only the idle time is set`);
    }
    return;
  }
  const set = (): void => {
    const fd = socketFd(sock);
    if (fd === null || sock.destroyed) return;
    try {
      ka.set(fd, seconds(cfg.timeMs), seconds(cfg.intervalMs), Math.min(127, cfg.probes));
    } catch {
      // The socket went away between the check and the call: nothing to configure.
    }
  };
  if (sock.connecting) sock.once('connect', set);
  else set();
}

/** The socket's keepalive options as the kernel has them (getsockopt); null without the addon or fd. */
export function readTcpKeepalive(sock: net.Socket): KeepaliveOptions | null {
  const ka = keepaliveAddon();
  const fd = socketFd(sock);
  if (!ka || fd === null) return null;
  return ka.get(fd);
}
