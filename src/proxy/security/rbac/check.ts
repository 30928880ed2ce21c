// Where the proxy asks RBAC: once per HTTP request (after path normalization, before routing) and
// once per accepted TCP connection on a tcp_proxy listener (before any upstream connection, so a
// denied connection never reaches the app). Both build the RbacInput from what is known at that
// point; peer principal (mTLS) and request auth (JWT) are passed in by the code that proved them.
import type net from 'node:net';
import { accessDenied, ProxyError } from '../../errors.js';
import type { HcmConfig, ListenerConfig } from '../../config/types.js';
import { normalizePath } from '../../http/normalize-path.js';
import type { RequestView } from '../../router/select.js';
import type { ConnectionSecurity, RequestAuth } from '../identity.js';
import { authorize } from './evaluate.js';
import type { RbacMetrics } from './metrics.js';
import type { RbacInput } from './types.js';

/** What other features proved about the caller; absent fields read as "not proven". */
export interface CallerProof {
  security?: ConnectionSecurity | undefined;
  auth?: RequestAuth | undefined;
  /** TLS SNI the downstream sent (connection.sni), when the listener terminated TLS. */
  sni?: string | undefined;
}

/** The request's path (no query) after the listener's normalization; throws DPE (400) when invalid. */
export function normalizedPath(hcm: HcmConfig, target: string, q: number): string {
  const raw = q >= 0 ? target.slice(0, q) : target;
  const cfg = hcm.pathNormalization;
  if (!cfg) return raw;
  const p = q >= 0 && target.includes('#', q) ? undefined : normalizePath(raw, cfg);
  if (p === undefined) throw new ProxyError('DPE', `invalid request path ${JSON.stringify(raw.slice(0, 200))}`, 'path_normalization_failed');
  return p;
}

/** Last x-forwarded-for hop (Envoy's remote address with use_remote_address off and no trusted hops), else the peer. */
function remoteIp(headers: readonly string[], peer: string): string {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (headers[i] !== 'x-forwarded-for') continue;
    const hops = headers[i + 1]!.split(',');
    const last = hops[hops.length - 1]?.trim();
    return last ? last : peer;
  }
  return peer;
}

function connectionInput(socket: net.Socket, proof: CallerProof): Omit<RbacInput, 'headers' | 'method' | 'path' | 'host' | 'remoteIp'> {
  return {
    peerPrincipal: proof.security?.peerPrincipal,
    requestAuth: proof.auth,
    sourceIp: socket.remoteAddress ?? '',
    sourcePort: socket.remotePort ?? 0,
    destinationIp: socket.localAddress ?? '',
    destinationPort: socket.localPort ?? 0,
    sni: proof.sni,
  };
}

/** Runs the HCM's RBAC filters for one request; throws the 403 ProxyError when denied. */
export function authorizeRequest(hcm: HcmConfig, socket: net.Socket, view: RequestView, metrics: RbacMetrics | undefined, proof: CallerProof = {}): void {
  const engines = hcm.rbac;
  if (!engines) return;
  const base = connectionInput(socket, proof);
  // With use_remote_address (gateways) the connection's peer is the client, as in Envoy.
  const remote = hcm.useRemoteAddress ? base.sourceIp : remoteIp(view.headers, base.sourceIp);
  const input: RbacInput = { ...base, remoteIp: remote, headers: view.headers, method: view.method, path: view.path, host: view.authority };
  const d = authorize(engines, input);
  metrics?.record('http', hcm.statPrefix, d);
  if (!d.allowed) throw accessDenied(d.policy);
}

/** Runs a tcp_proxy listener's network RBAC filters; the denying policy, or undefined when allowed. */
export function authorizeConnection(listener: ListenerConfig, socket: net.Socket, metrics: RbacMetrics | undefined, proof: CallerProof = {}): string | undefined {
  const engines = listener.networkRbac;
  if (!engines) return undefined;
  const base = connectionInput(socket, proof);
  const d = authorize(engines, { ...base, remoteIp: base.sourceIp, headers: undefined, method: undefined, path: undefined, host: undefined });
  metrics?.record('network', engines[0]?.statPrefix ?? '', d);
  return d.allowed ? undefined : d.policy;
}
