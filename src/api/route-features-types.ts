// Validated shapes of the VirtualService HTTP route features (Istio field names): fault
// injection, mirroring, header operations, redirect, direct response and CORS. Re-exported by
// types.ts; kept here so the feature set grows without churning the shared model file.
import type { Destination, StringMatch } from './types.js';

/** A percentage 0..100 (Istio's `Percent` message or the older integer fields). */
export type Percent = number;

export interface HTTPFaultInjection {
  delay?: { fixedDelayMs: number; percentage: Percent };
  /** Exactly one of httpStatus, grpcStatus. */
  abort?: { httpStatus?: number; grpcStatus?: string; percentage: Percent };
}

export interface HTTPMirrorPolicy {
  destination: Destination;
  /** Absent: every request is mirrored. */
  percentage?: Percent;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  port?: number;
  scheme?: string;
  /** Default 301. */
  redirectCode: number;
}

export interface HTTPDirectResponse {
  status: number;
  body?: string;
}

export interface CorsPolicy {
  allowOrigins: StringMatch[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeMs?: number;
  allowCredentials?: boolean;
}
