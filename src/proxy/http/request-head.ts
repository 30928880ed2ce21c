// The HTTP/1.1 request head a sidecar sends upstream: the route's target and host, the client's
// headers minus hop-by-hop ones (and, inbound, minus identity headers a client could forge),
// x-forwarded-for/-proto, x-request-id, the metadata-exchange header outbound or XFCC inbound,
// upgrade headers, and the body framing. Pure apart from a fresh request id.
import crypto from 'node:crypto';
import type { RequestHead } from './codec/h1/request-parser.js';
import type { HcmContext } from './context.js';
import { PEER_METADATA_HEADER, type PeerMetadata } from '../../xds/node-metadata.js';
import { isHopByHop } from './peers.js';
import { inboundPeer, isForgeableIdentityHeader, xfccLine } from '../security/peer-identity.js';
import { upgradeRequestHeaders } from './upgrade.js';
import { TRACE_HEADERS } from '../telemetry/tracing/propagation.js';
import type { TraceTap } from '../telemetry/tracing/tracer.js';

export interface UpstreamHead {
  head: string;
  /** The body goes upstream chunked. */
  chunked: boolean;
  /** Inbound: the caller's workload from a trusted metadata-exchange header; else null. */
  peer: PeerMetadata | null;
}

export function buildUpstreamHead(
  req: RequestHead,
  headers: readonly string[],
  target: string,
  hostValue: string,
  ctx: HcmContext,
  remoteAddress: string,
  trace?: TraceTap,
): UpstreamHead {
  const inbound = ctx.listener.direction === 'INBOUND';
  const tokens = req.connectionTokens;
  let peer: PeerMetadata | null = null;
  let s = `${req.method} ${target} HTTP/1.1\r\nhost: ${hostValue}\r\n`;
  let hasRequestId = false;
  let hasProto = false;
  let xff: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (name === 'host' || name === 'expect' || name === 'content-length' || isHopByHop(name, tokens)) continue;
    if (name === PEER_METADATA_HEADER) {
      if (inbound) peer = inboundPeer(value, ctx.security);
      continue;
    }
    if (inbound && isForgeableIdentityHeader(name)) continue;
    if (trace && TRACE_HEADERS.has(name)) continue; // replaced by this hop's span below
    if (name === 'x-request-id') hasRequestId = true;
    else if (name === 'x-forwarded-proto') hasProto = true;
    else if (name === 'x-forwarded-for') {
      xff = value;
      continue;
    }
    s += `${name}: ${value}\r\n`;
  }
  if (ctx.listener.hcm.useRemoteAddress) {
    s += `x-forwarded-for: ${xff ? `${xff}, ${remoteAddress}` : remoteAddress}\r\n`;
  } else if (xff !== undefined) {
    s += `x-forwarded-for: ${xff}\r\n`;
  }
  if (!hasProto) s += 'x-forwarded-proto: http\r\n';
  if (!hasRequestId) s += `x-request-id: ${trace?.requestId ?? crypto.randomUUID()}\r\n`;
  if (trace) s += trace.headerLines();
  if (!inbound) s += `${PEER_METADATA_HEADER}: ${ctx.selfHeader}\r\n`;
  else s += xfccLine(ctx.security, ctx.selfSpiffeId?.());
  s += upgradeRequestHeaders(req, ctx.listener.hcm.websocket);
  if (req.chunked) s += 'transfer-encoding: chunked\r\n';
  else if (req.contentLength >= 0) s += `content-length: ${req.contentLength}\r\n`;
  return { head: `${s}\r\n`, chunked: req.chunked, peer };
}
