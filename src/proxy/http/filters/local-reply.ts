// Responses the proxy writes itself for route features: fault aborts (HTTP or gRPC), CORS
// preflights, redirects and direct responses.
import { reasonPhrase } from '../codec/h1/serialize.js';
import type { LocalAction } from './types.js';

export interface RouteReply {
  status: number;
  /** Extra header lines, each "name: value\r\n". */
  headers: string;
  body: string;
  /** Response flag for telemetry ("FI" for fault aborts, "-" otherwise). */
  flag: string;
}

export const FAULT_ABORT_BODY = 'fault filter abort';

/** The Location of a redirect: request scheme/host/path, each replaced where the route says. */
export function redirectLocation(a: Extract<LocalAction, { kind: 'redirect' }>, authority: string, path: string, query: string): string {
  const scheme = a.scheme ?? 'http';
  let host = a.host ?? authority;
  if (a.port !== undefined) host = `${host.replace(/:\d+$/, '')}:${a.port}`;
  else if (a.scheme !== undefined && a.host === undefined) host = host.replace(/:\d+$/, '');
  const newPath = a.path ?? path;
  const q = a.path !== undefined && a.path.includes('?') ? '' : query === '' ? '' : `?${query}`;
  return `${scheme}://${host}${newPath}${q}`;
}

export function localActionReply(a: LocalAction, authority: string, path: string, query: string): RouteReply {
  if (a.kind === 'direct') return { status: a.status, headers: a.body === '' ? '' : 'content-type: text/plain\r\n', body: a.body, flag: '-' };
  return { status: a.status, headers: `location: ${redirectLocation(a, authority, path, query)}\r\n`, body: '', flag: '-' };
}

export function faultAbortReply(status: number, grpcStatus: number | null): RouteReply {
  if (grpcStatus !== null) {
    return { status: 200, headers: `content-type: application/grpc\r\ngrpc-status: ${grpcStatus}\r\ngrpc-message: ${FAULT_ABORT_BODY}\r\n`, body: '', flag: 'FI' };
  }
  return { status, headers: 'content-type: text/plain\r\n', body: FAULT_ABORT_BODY, flag: 'FI' };
}

/** The whole response as bytes (HEAD: no body, but the length it would have). */
export function serializeReply(r: RouteReply, keepAlive: boolean, head: boolean, extraHeaders = ''): Buffer {
  const body = Buffer.from(r.body, 'utf8');
  const top = `HTTP/1.1 ${r.status} ${reasonPhrase(r.status)}\r\n${r.headers}${extraHeaders}content-length: ${body.length}\r\n${keepAlive ? '' : 'connection: close\r\n'}\r\n`;
  const headBuf = Buffer.from(top, 'latin1');
  return head || body.length === 0 ? headBuf : Buffer.concat([headBuf, body]);
}
