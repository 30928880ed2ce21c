// What one access-log line is made from: a finished HTTP request or TCP connection. Filled by
// ./http-tap.ts (the Exchange) and ./tcp-log.ts (the TCP proxy); read by the compiled formatter
// (./format.ts) and by CEL filters (it is also the CEL attribute view, ../../../cel/cel.ts).
import type { CelAttributes, MapAttribute, ScalarAttribute } from '../../../cel/cel.js';
import { getHeader } from '../../http/codec/h1/headers.js';

/** Flat [name, value, ...] lists with lower-case names, as the codecs produce them. */
export type FlatHeaders = readonly string[];

export function flatGet(h: FlatHeaders | null, lowerName: string): string | undefined {
  return h === null ? undefined : getHeader(h, lowerName);
}

export class AccessLogEntry implements CelAttributes {
  /** Wall clock at the start (epoch ms, fractional). */
  startMs = 0;
  durationMs = 0;
  /** Last request byte received, since start; undefined when unknown. */
  requestDurationMs: number | undefined;
  /** First response byte from the upstream, since start; undefined without an upstream response. */
  responseDurationMs: number | undefined;
  /** "HTTP/1.1", "HTTP/1.0", "HTTP/2"; undefined for TCP. */
  protocol: string | undefined;
  method: string | undefined;
  /** Path with query, as received (origin-form). */
  path: string | undefined;
  authority: string | undefined;
  scheme: string | undefined;
  requestHeaders: FlatHeaders | null = null;
  responseHeaders: FlatHeaders | null = null;
  responseTrailers: FlatHeaders | null = null;
  /** 0 when no response was sent. */
  responseCode = 0;
  /** Envoy response flags; "-" when none. */
  flags = '-';
  /** Envoy's RESPONSE_CODE_DETAILS ("via_upstream", "route_not_found", ...). */
  details: string | undefined;
  terminationDetails: string | undefined;
  transportFailureReason: string | undefined;
  bytesReceived = 0;
  bytesSent = 0;
  /** "ip:port" strings. */
  upstreamHost: string | undefined;
  upstreamCluster: string | undefined;
  upstreamLocal: string | undefined;
  downstreamLocal: string | undefined;
  downstreamRemote: string | undefined;
  requestedServerName: string | undefined;
  routeName: string | undefined;
  attempts: number | undefined;
  grpcStatus: string | undefined;

  requestHeader(lowerName: string): string | undefined {
    switch (lowerName) {
      case ':method':
        return this.method;
      case ':path':
        return this.path;
      case ':authority':
        return this.authority;
      case ':scheme':
        return this.scheme;
      case 'host':
        return flatGet(this.requestHeaders, 'host') ?? this.authority;
      default:
        return flatGet(this.requestHeaders, lowerName);
    }
  }

  responseHeader(lowerName: string): string | undefined {
    if (lowerName === ':status') return this.responseCode > 0 ? String(this.responseCode) : undefined;
    return flatGet(this.responseHeaders, lowerName);
  }

  // ---- CelAttributes

  header(map: MapAttribute, lowerName: string): string | undefined {
    if (map === 'request.headers') return this.requestHeader(lowerName);
    if (map === 'response.headers') return this.responseHeader(lowerName);
    return flatGet(this.responseTrailers, lowerName);
  }

  scalar(name: ScalarAttribute): string | number | boolean | undefined {
    switch (name) {
      case 'request.method':
        return this.method;
      case 'request.path':
        return this.path;
      case 'request.url_path': {
        const p = this.path;
        if (p === undefined) return undefined;
        const q = p.indexOf('?');
        return q >= 0 ? p.slice(0, q) : p;
      }
      case 'request.host':
        return this.authority;
      case 'request.scheme':
        return this.scheme;
      case 'request.protocol':
        return this.protocol;
      case 'request.id':
        return this.requestHeader('x-request-id');
      case 'request.useragent':
        return this.requestHeader('user-agent');
      case 'request.referer':
        return this.requestHeader('referer');
      case 'request.size':
        return this.bytesReceived;
      case 'request.duration':
        return this.durationMs;
      case 'response.code':
        return this.responseCode;
      case 'response.code_details':
        return this.details;
      case 'response.flags':
        return this.flags;
      case 'response.grpc_status':
        return this.grpcStatus;
      case 'response.size':
        return this.bytesSent;
      case 'source.address':
        return hostPart(this.downstreamRemote);
      case 'source.port':
        return portPart(this.downstreamRemote);
      case 'destination.address':
        return hostPart(this.downstreamLocal);
      case 'destination.port':
        return portPart(this.downstreamLocal);
      case 'upstream.address':
        return hostPart(this.upstreamHost);
      case 'upstream.port':
        return portPart(this.upstreamHost);
      case 'upstream.transport_failure_reason':
        return this.transportFailureReason;
      case 'connection.mtls':
        return false;
      case 'connection.requested_server_name':
        return this.requestedServerName ?? '';
      case 'connection.termination_details':
        return this.terminationDetails;
      case 'xds.cluster_name':
        return this.upstreamCluster;
      case 'xds.route_name':
        return this.routeName;
    }
  }
}

/** "ip:port" → ip (IPv6 in brackets loses them). */
export function hostPart(addr: string | undefined): string | undefined {
  if (addr === undefined) return undefined;
  const i = addr.lastIndexOf(':');
  const h = i >= 0 ? addr.slice(0, i) : addr;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function portPart(addr: string | undefined): number | undefined {
  if (addr === undefined) return undefined;
  const i = addr.lastIndexOf(':');
  const n = i >= 0 ? Number(addr.slice(i + 1)) : Number.NaN;
  return Number.isInteger(n) ? n : undefined;
}

/** "ip:port" for a socket end; IPv6 addresses in brackets, as Envoy prints them. */
export function joinHostPort(address: string | undefined, port: number | undefined): string | undefined {
  if (!address || port === undefined) return undefined;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
