// DestinationRule trafficPolicy.connectionPool and .outlierDetection: circuit breaking and
// passive health checking, read with field paths.

import type { ConnectionPoolSettings, OutlierDetection, TcpKeepalive } from './types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';

const INT32 = 2_147_483_647;

const CONNECTION_POOL: FieldSet = { supported: ['tcp', 'http'] };
const TCP: FieldSet = {
  supported: ['maxConnections', 'connectTimeout', 'tcpKeepalive', 'maxConnectionDuration', 'idleTimeout'],
};
const KEEPALIVE: FieldSet = { supported: ['probes', 'time', 'interval'] };
const HTTP: FieldSet = {
  supported: ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'idleTimeout'],
  notYet: ['h2UpgradePolicy', 'useClientProtocol', 'maxConcurrentStreams'],
};
const OUTLIER: FieldSet = {
  supported: [
    'consecutive5xxErrors',
    'consecutiveGatewayErrors',
    'consecutiveErrors',
    'interval',
    'baseEjectionTime',
    'maxEjectionPercent',
    'minHealthPercent',
  ],
  notYet: ['splitExternalLocalOriginErrors', 'consecutiveLocalOriginFailures'],
};

/** A duration that must be at least 1ms (Istio rejects shorter ones). */
function positiveDuration(f: Field): number | undefined {
  const ms = f.duration();
  if (ms !== undefined && ms < 1) f.error('expected a duration of at least 1ms');
  return ms;
}

function count(f: Field): number | undefined {
  return f.int({ min: 0, max: INT32 });
}

export function readConnectionPool(f: Field): ConnectionPoolSettings {
  f.object(CONNECTION_POOL);
  return compact({
    tcp: f.get('tcp').ifPresent((t) => {
      t.object(TCP);
      return compact({
        maxConnections: count(t.get('maxConnections')),
        connectTimeoutMs: positiveDuration(t.get('connectTimeout')),
        tcpKeepalive: t.get('tcpKeepalive').ifPresent(readKeepalive),
        // Applied to TCP (tcp_proxy) traffic; HTTP connections do not use them yet.
        maxConnectionDurationMs: positiveDuration(t.get('maxConnectionDuration')),
        idleTimeoutMs: t.get('idleTimeout').duration(),
      });
    }),
    http: f.get('http').ifPresent((h) => {
      h.object(HTTP);
      return compact({
        http1MaxPendingRequests: count(h.get('http1MaxPendingRequests')),
        http2MaxRequests: count(h.get('http2MaxRequests')),
        maxRequestsPerConnection: count(h.get('maxRequestsPerConnection')),
        maxRetries: count(h.get('maxRetries')),
        idleTimeoutMs: positiveDuration(h.get('idleTimeout')),
      });
    }),
  });
}

function readKeepalive(f: Field): TcpKeepalive {
  f.object(KEEPALIVE);
  return compact({
    probes: count(f.get('probes')),
    timeMs: positiveDuration(f.get('time')),
    intervalMs: positiveDuration(f.get('interval')),
  });
}

export function readOutlierDetection(f: Field): OutlierDetection {
  f.object(OUTLIER);
  const consecutiveErrors = count(f.get('consecutiveErrors'));
  if (consecutiveErrors !== undefined) {
    f.get('consecutiveErrors').warn('deprecated in Istio: counts gateway errors (502, 503, 504) only; use consecutiveGatewayErrors or consecutive5xxErrors');
  }
  return compact({
    consecutive5xxErrors: count(f.get('consecutive5xxErrors')),
    consecutiveGatewayErrors: count(f.get('consecutiveGatewayErrors')),
    consecutiveErrors,
    intervalMs: positiveDuration(f.get('interval')),
    baseEjectionTimeMs: positiveDuration(f.get('baseEjectionTime')),
    maxEjectionPercent: f.get('maxEjectionPercent').int({ min: 0, max: 100 }),
    minHealthPercent: f.get('minHealthPercent').int({ min: 0, max: 100 }),
  });
}
