// Where proxies send spans when no tracing provider is named anywhere: the control plane's own
// HTTP port (POST /v1/traces, ../debug/traces.ts). An input of translation, carried on the
// snapshot; the control plane computes it from its flags and bound address.
import net from 'node:net';

/** The control plane's HTTP address as proxies reach it. */
export interface CollectorAddress {
  /** Absent: the HTTP port is bound to an unspecified address (0.0.0.0 / ::) and no address was
   *  advertised; each proxy then uses the host it reaches the xDS port on (ProxyModel.xdsHost). */
  readonly host?: string;
  readonly port: number;
}

/** The cluster proxies export spans to (a STATIC or STRICT_DNS cluster in every proxy's CDS). */
export const COLLECTOR_CLUSTER = 'weft-telemetry';
/** The OTLP/HTTP path the control plane's collector serves. */
export const COLLECTOR_PATH = '/v1/traces';

export function isUnspecifiedHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '' || h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/**
 * `--advertise-http-address` (host, with or without a port) wins; else the bound HTTP address
 * unless it is unspecified; else only the port (proxies supply the host).
 */
export function collectorAddress(bound: { host: string; port: number }, advertise?: { host: string; port?: number }): CollectorAddress {
  if (advertise) return { host: unbracket(advertise.host), port: advertise.port ?? bound.port };
  if (isUnspecifiedHost(bound.host)) return { port: bound.port };
  return { host: unbracket(bound.host), port: bound.port };
}

/** Parses `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT` (a bare IPv6 address has no port). */
export function parseAdvertiseAddress(s: string, flag = '--advertise-http-address'): { host: string; port?: number } {
  const bad = (): Error => new Error(`${flag}: expected HOST or HOST:PORT, got "${s}"`);
  let host = s;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else if (net.isIPv6(s)) {
    host = s;
  } else {
    const i = s.lastIndexOf(':');
    if (i >= 0) {
      host = s.slice(0, i);
      portText = s.slice(i + 1);
    }
  }
  if (host === '' || /[\s/]/.test(host) || isUnspecifiedHost(host)) throw bad();
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw bad();
  return { host, port };
}

/** The host part of an HTTP/2 `:authority` ("h:p", "[v6]:p", "h"), or undefined when empty. */
export function authorityHost(authority: string | undefined): string | undefined {
  if (!authority) return undefined;
  const v6 = /^\[([^\]]+)\]/.exec(authority);
  if (v6) return v6[1];
  const i = authority.lastIndexOf(':');
  const h = i >= 0 ? authority.slice(0, i) : authority;
  return h === '' || isUnspecifiedHost(h) ? undefined : h;
}

function unbracket(h: string): string {
  return h.replace(/^\[|\]$/g, '');
}
