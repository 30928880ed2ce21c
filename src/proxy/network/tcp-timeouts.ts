// tcp_proxy's connection timers, as Envoy runs them once the upstream is connected:
// - idle_timeout (default 1h; 0 turns it off): no bytes either way for that long closes both
//   connections. Envoy sets no response flag for it (it counts tcp.idle_timeout only).
// - max_downstream_connection_duration: the downstream connection is closed that long after it
//   was accepted, with response flag DT (DurationTimeout).
import type { TcpProxyConfig } from '../config/types.js';

/** Envoy's tcp_proxy idle_timeout when the config has none. */
export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 3_600_000;

export interface TcpSessionTimers {
  /** Bytes moved (either direction): restarts the idle timer. */
  activity(): void;
  /** The connection closed: stops both timers. */
  stop(): void;
}

/**
 * Starts the timers of one proxied connection accepted at `acceptedAt` (performance.now() ms);
 * `onTimeout` runs at most once, with the flag to record ('-' for idle, 'DT' for duration).
 */
export function startTcpTimers(cfg: TcpProxyConfig, acceptedAt: number, onTimeout: (flag: '-' | 'DT', reason: string) => void): TcpSessionTimers {
  let fired = false;
  const fire = (flag: '-' | 'DT', reason: string): void => {
    if (fired) return;
    fired = true;
    stop();
    onTimeout(flag, reason);
  };
  const idleMs = cfg.idleTimeoutMs ?? DEFAULT_TCP_IDLE_TIMEOUT_MS;
  const idle = idleMs > 0 ? setTimeout(() => fire('-', 'idle timeout'), idleMs) : null;
  const maxMs = cfg.maxDownstreamConnectionDurationMs;
  const duration = maxMs !== undefined && maxMs > 0 ? setTimeout(() => fire('DT', 'max connection duration'), Math.max(0, acceptedAt + maxMs - performance.now())) : null;
  const stop = (): void => {
    if (idle) clearTimeout(idle);
    if (duration) clearTimeout(duration);
  };
  return {
    activity: () => {
      if (idle && !fired) idle.refresh();
    },
    stop,
  };
}
