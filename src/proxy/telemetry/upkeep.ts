// The proxy's telemetry housekeeping: process metrics (CPU, memory, event-loop lag) and the
// expiry of idle series, started with the proxy and stopped with it.
import type { Registry } from '../../telemetry/prom.js';
import { registerProcessMetrics } from '../../telemetry/process-metrics.js';
import { DEFAULT_METRICS_EXPIRY_MS, startExpiry } from '../../telemetry/expiry.js';

export interface TelemetryUpkeep {
  stop(): void;
}

export function startTelemetryUpkeep(registry: Registry, expiryMs = DEFAULT_METRICS_EXPIRY_MS): TelemetryUpkeep {
  const proc = registerProcessMetrics(registry);
  const expiry = startExpiry(registry, expiryMs);
  return {
    stop() {
      proc.stop();
      expiry.stop();
    },
  };
}
