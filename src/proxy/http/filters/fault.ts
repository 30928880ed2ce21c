// Envoy's HTTP fault filter for one request: the delay is decided (and waited) first, then the
// abort. Each decision is an independent draw against its percentage.
import type { FaultConfig } from './types.js';

export type Rand = () => number;

export function rollDelay(f: FaultConfig, rand: Rand = Math.random): number {
  return f.delay && f.delay.fraction > 0 && rand() < f.delay.fraction ? f.delay.ms : 0;
}

export interface FaultAbort {
  status: number;
  /** Set for a gRPC abort (HTTP 200 with grpc-status). */
  grpcStatus: number | null;
}

export function rollAbort(f: FaultConfig, rand: Rand = Math.random): FaultAbort | null {
  const a = f.abort;
  if (!a || a.fraction <= 0 || rand() >= a.fraction) return null;
  if (a.grpcStatus !== null) return { status: 200, grpcStatus: a.grpcStatus };
  return { status: a.httpStatus ?? 503, grpcStatus: null };
}
