// grpc_response_status for gRPC requests that got no grpc-status from a server: a reply the proxy
// wrote itself (UH, UF, NR, UT, RBAC 403, JWT 401, ...) or an upstream's non-gRPC error response.
// The label is the status the gRPC client sees, which is the HTTP status mapped as gRPC's
// "HTTP to gRPC status code mapping" and Envoy's Grpc::Utility::httpToGrpcStatus do:
// 400 → 13 INTERNAL, 401 → 16 UNAUTHENTICATED, 403 → 7 PERMISSION_DENIED, 404 → 12 UNIMPLEMENTED,
// 429/502/503/504 → 14 UNAVAILABLE, any other non-200 → 2 UNKNOWN. A local reply that carries
// its own grpc-status (a fault abort with grpcStatus) is recorded with that status.
import type { GrpcMessageCounts } from './grpc-messages.js';

export function httpToGrpcStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

const GRPC_STATUS_LINE = /(?:^|\r\n)grpc-status: *(\d{1,2})\r\n/i;

/** A local reply's own grpc-status header line ("name: value\r\n" lines), if any, is recorded. */
export function noteReplyGrpcStatus(counts: GrpcMessageCounts | null, replyHeaders: string): void {
  if (!counts || counts.status !== '') return;
  const m = GRPC_STATUS_LINE.exec(replyHeaders);
  if (m?.[1] !== undefined) counts.status = m[1];
}

/**
 * At the end of a gRPC exchange: when no grpc-status was seen and the response was an error
 * status (not 200, not 0 = no response at all), the status a client derives from it.
 */
export function settleGrpcStatus(counts: GrpcMessageCounts | null, httpStatus: number): void {
  if (!counts || counts.status !== '' || httpStatus === 0 || httpStatus === 200) return;
  counts.status = String(httpToGrpcStatus(httpStatus));
}
