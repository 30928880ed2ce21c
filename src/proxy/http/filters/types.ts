// Runtime config of the per-route HTTP filters (decoded once per RDS update by
// config/decode-route-features.ts, immutable afterwards): fault injection, CORS, header
// mutations, mirroring, and the local answers (redirect, direct response).
import type { StringMatcher } from '../../config/types.js';

/** One header_to_add: overwrite (OVERWRITE_IF_EXISTS_OR_ADD) or append (APPEND_IF_EXISTS_OR_ADD). */
export interface HeaderAdd {
  /** Lower-cased. */
  name: string;
  value: string;
  overwrite: boolean;
}

/** Envoy order: removals first, then additions in list order. */
export interface HeaderOps {
  remove: string[];
  add: HeaderAdd[];
}

export interface HeaderMutation {
  request: HeaderOps | null;
  response: HeaderOps | null;
}

export interface FaultConfig {
  /** fraction is 0..1. */
  delay: { ms: number; fraction: number } | null;
  abort: { httpStatus: number | null; grpcStatus: number | null; fraction: number } | null;
}

export interface CorsConfig {
  origins: StringMatcher[];
  allowMethods: string;
  allowHeaders: string;
  exposeHeaders: string;
  maxAge: string;
  allowCredentials: boolean;
}

export interface MirrorConfig {
  cluster: string;
  /** 0..1 */
  fraction: number;
}

export type LocalAction =
  | { kind: 'redirect'; status: number; scheme: string | undefined; host: string | undefined; port: number | undefined; path: string | undefined }
  | { kind: 'direct'; status: number; body: string };

export interface RouteFilters {
  fault: FaultConfig | null;
  cors: CorsConfig | null;
  /** Set when the route answers itself instead of routing (redirect, direct_response). */
  local: LocalAction | null;
  mirrors: MirrorConfig[];
  /** Route-level header mutations (applied after the picked cluster's). */
  headers: HeaderMutation;
  /** Weighted-cluster header mutations by cluster name. */
  perCluster: ReadonlyMap<string, HeaderMutation>;
}
