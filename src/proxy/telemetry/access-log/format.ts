// Envoy's access-log format strings (%OPERATOR(args):len%), compiled once per config into a list
// of literal strings and getters; rendering one line is then a loop of string appends.
//
// Text: every operator renders as a string, "-" when the value is missing.
// JSON (json_format): a value that is exactly one operator keeps its type (numbers stay numbers,
// missing is null), as Envoy does; anything else renders like text. Nested maps are allowed.
//
// The control plane validates formats with this file too (it depends on node:os only).
import os from 'node:os';
import type { AccessLogEntry } from './entry.js';

type Value = string | number | null;
type Getter = (e: AccessLogEntry) => Value;

export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

/** Istio's default TEXT access-log format (meshConfig.accessLogFormat unset). */
export const ISTIO_DEFAULT_TEXT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% ' +
  '%BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% ' +
  '%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n';

/** Istio's default JSON access-log labels (accessLogEncoding JSON, no accessLogFormat). */
export const ISTIO_DEFAULT_JSON_FORMAT: Readonly<Record<string, string>> = Object.freeze({
  start_time: '%START_TIME%',
  route_name: '%ROUTE_NAME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER_RAW%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
});

const ms = (v: number | undefined): Value => (v === undefined ? null : Math.floor(v));
const s = (v: string | undefined): Value => (v === undefined || v === '' ? null : v);

/** Operators without arguments. */
const SIMPLE: Readonly<Record<string, Getter>> = {
  RESPONSE_CODE: (e) => e.responseCode,
  RESPONSE_FLAGS: (e) => e.flags || '-',
  RESPONSE_CODE_DETAILS: (e) => s(e.details),
  CONNECTION_TERMINATION_DETAILS: (e) => s(e.terminationDetails),
  DURATION: (e) => ms(e.durationMs),
  REQUEST_DURATION: (e) => ms(e.requestDurationMs),
  RESPONSE_DURATION: (e) => ms(e.responseDurationMs),
  RESPONSE_TX_DURATION: (e) => (e.responseDurationMs === undefined ? null : Math.floor(e.durationMs - e.responseDurationMs)),
  BYTES_RECEIVED: (e) => e.bytesReceived,
  BYTES_SENT: (e) => e.bytesSent,
  PROTOCOL: (e) => s(e.protocol),
  UPSTREAM_HOST: (e) => s(e.upstreamHost),
  UPSTREAM_CLUSTER: (e) => s(e.upstreamCluster),
  UPSTREAM_CLUSTER_RAW: (e) => s(e.upstreamCluster),
  UPSTREAM_LOCAL_ADDRESS: (e) => s(e.upstreamLocal),
  UPSTREAM_TRANSPORT_FAILURE_REASON: (e) => s(e.transportFailureReason),
  UPSTREAM_REQUEST_ATTEMPT_COUNT: (e) => e.attempts ?? null,
  DOWNSTREAM_LOCAL_ADDRESS: (e) => s(e.downstreamLocal),
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: (e) => s(withoutPort(e.downstreamLocal)),
  DOWNSTREAM_REMOTE_ADDRESS: (e) => s(e.downstreamRemote),
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: (e) => s(withoutPort(e.downstreamRemote)),
  // No TLS termination in the proxy yet: there is never a downstream or upstream peer certificate.
  DOWNSTREAM_PEER_URI_SAN: () => null,
  UPSTREAM_PEER_URI_SAN: () => null,
  REQUESTED_SERVER_NAME: (e) => s(e.requestedServerName),
  ROUTE_NAME: (e) => s(e.routeName),
  GRPC_STATUS: (e) => s(e.grpcStatus),
  HOSTNAME: () => HOSTNAME,
};

const HOSTNAME = os.hostname();

function withoutPort(addr: string | undefined): string | undefined {
  if (addr === undefined) return undefined;
  const i = addr.lastIndexOf(':');
  const h = i >= 0 ? addr.slice(0, i) : addr;
  return h.startsWith('[') ? h.slice(1, -1) : h;
}

/** One parsed piece: literal text, or an operator getter (with optional truncation). */
type Piece = string | Getter;

function parse(format: string): Piece[] {
  const pieces: Piece[] = [];
  let lit = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    // "%%"? Envoy has no escape; a lone % not starting an operator is literal.
    const m = /^%([A-Z][A-Z0-9_]*)(?:\(([^)]*)\))?(?::(\d+))?%/.exec(format.slice(i));
    if (!m) {
      const name = /^%([A-Za-z_][A-Za-z0-9_]*)/.exec(format.slice(i));
      if (name && /^[A-Z_]+$/.test(name[1]!)) throw new FormatError(`operator %${name[1]}% is not closed or its arguments are malformed at offset ${i}`);
      lit += c;
      i++;
      continue;
    }
    if (lit) pieces.push(lit);
    lit = '';
    pieces.push(operator(m[1]!, m[2], m[3] === undefined ? undefined : Number(m[3])));
    i += m[0].length;
  }
  if (lit) pieces.push(lit);
  return pieces;
}

function operator(name: string, args: string | undefined, maxLen: number | undefined): Getter {
  let g: Getter;
  if (name === 'REQ' || name === 'RESP' || name === 'TRAILER') {
    if (args === undefined || args === '') throw new FormatError(`%${name}(...)% needs a header name`);
    const [main, alt] = args.split('?').map((h) => h.trim().toLowerCase());
    if (!main) throw new FormatError(`%${name}(${args})%: empty header name`);
    g = headerGetter(name, main, alt);
  } else if (name === 'START_TIME') {
    g = startTime(args);
  } else {
    if (args !== undefined) throw new FormatError(`%${name}% takes no arguments`);
    const simple = SIMPLE[name];
    if (!simple) throw new FormatError(`unsupported operator %${name}% (supported: REQ, RESP, TRAILER, START_TIME, ${Object.keys(SIMPLE).join(', ')})`);
    g = simple;
  }
  if (maxLen === undefined) return g;
  return (e) => {
    const v = g(e);
    return typeof v === 'string' && v.length > maxLen ? v.slice(0, maxLen) : v;
  };
}

function headerGetter(op: string, main: string, alt: string | undefined): Getter {
  if (op === 'REQ') return (e) => e.requestHeader(main) ?? (alt ? e.requestHeader(alt) : undefined) ?? null;
  if (op === 'RESP') return (e) => e.responseHeader(main) ?? (alt ? e.responseHeader(alt) : undefined) ?? null;
  return (e) => e.header('response.trailers', main) ?? (alt ? e.header('response.trailers', alt) : undefined) ?? null;
}

// ---------------------------------------------------------------- START_TIME

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * Default: 2026-11-22T09:29:14.123Z (Envoy's %Y-%m-%dT%H:%M:%E3SZ). The part up to the second is
 * formatted once per second (Date formatting costs microseconds; lines come many per second).
 */
function isoMs(t: number): string {
  const ms = Math.floor(t);
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSecond) {
    isoSecond = sec;
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
  }
  const frac = ms - sec * 1000;
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/** strftime subset Envoy users write, UTC: %Y %m %d %H %M %S %y %j %T %F %z %Z %s %E<n>S %<n>f %f %%. */
function startTime(fmt: string | undefined): Getter {
  if (fmt === undefined || fmt === '') return (e) => isoMs(e.startMs);
  const parts: ((d: Date, t: number) => string)[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit) {
      const l = lit;
      parts.push(() => l);
    }
    lit = '';
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') {
      lit += c;
      continue;
    }
    const rest = fmt.slice(i + 1);
    const frac = /^(?:E(\d)S|(\d)f)/.exec(rest);
    if (frac) {
      flush();
      const digits = Number(frac[1] ?? frac[2]);
      const withSeconds = frac[1] !== undefined;
      parts.push((d, t) => (withSeconds ? `${pad(d.getUTCSeconds())}.` : '') + fraction(t, digits));
      i += frac[0].length;
      continue;
    }
    const k = rest[0];
    const spec: Record<string, (d: Date, t: number) => string> = {
      Y: (d) => String(d.getUTCFullYear()),
      y: (d) => pad(d.getUTCFullYear() % 100),
      m: (d) => pad(d.getUTCMonth() + 1),
      d: (d) => pad(d.getUTCDate()),
      H: (d) => pad(d.getUTCHours()),
      M: (d) => pad(d.getUTCMinutes()),
      S: (d) => pad(d.getUTCSeconds()),
      j: (d) => pad(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3),
      T: (d) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
      F: (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
      z: () => '+0000',
      Z: () => 'UTC',
      s: (_d, t) => String(Math.floor(t / 1000)),
      f: (_d, t) => fraction(t, 9),
      '%': () => '%',
    };
    const f = k === undefined ? undefined : spec[k];
    if (!f) throw new FormatError(`%START_TIME(${fmt})%: unsupported time specifier %${k ?? ''}`);
    flush();
    parts.push(f);
    i += 1;
  }
  flush();
  return (e) => {
    const d = new Date(Math.floor(e.startMs));
    let out = '';
    for (const p of parts) out += p(d, e.startMs);
    return out;
  };
}

/** The sub-second part of epoch milliseconds `t` with `digits` digits (microsecond precision, zero-padded). */
function fraction(t: number, digits: number): string {
  const nanos = Math.min(999_999, Math.round((((t % 1000) + 1000) % 1000) * 1000)) * 1000;
  return String(nanos).padStart(9, '0').slice(0, digits);
}

// ---------------------------------------------------------------- compiled formatters

export type Formatter = (e: AccessLogEntry) => string;

/** A text format (text_format_source.inline_string). Output is exactly the format's text. */
export function compileTextFormat(format: string): Formatter {
  const pieces = parse(format);
  return (e) => {
    let out = '';
    for (const p of pieces) {
      if (typeof p === 'string') out += p;
      else {
        const v = p(e);
        out += v === null ? '-' : String(v);
      }
    }
    return out;
  };
}

/** A compiled JSON value; map keys are kept already quoted (`"key":`). */
type JsonNode = { kind: 'value'; get: Getter } | { kind: 'text'; render: Formatter } | { kind: 'literal'; json: string } | { kind: 'map'; entries: [string, JsonNode][] };

function compileJsonNode(v: unknown, path: string): JsonNode {
  if (typeof v === 'string') {
    const pieces = parse(v);
    const only = pieces[0];
    if (pieces.length === 1 && typeof only === 'function') return { kind: 'value', get: only };
    if (pieces.every((p) => typeof p === 'string')) return { kind: 'literal', json: JSON.stringify(v) };
    return { kind: 'text', render: compileTextFormat(v) };
  }
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return { kind: 'literal', json: JSON.stringify(v) };
  if (typeof v === 'object' && !Array.isArray(v)) {
    return { kind: 'map', entries: Object.entries(v as Record<string, unknown>).map(([k, x]) => [`${JSON.stringify(k)}:`, compileJsonNode(x, `${path}.${k}`)]) };
  }
  throw new FormatError(`${path}: expected a string, number, bool or map in a JSON format`);
}

/** JSON string literal; the common case (nothing to escape) skips JSON.stringify. */
function jsonString(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x22 /* " */ || c === 0x5c /* \\ */ || c === 0x2028 || c === 0x2029) return JSON.stringify(v);
  }
  return `"${v}"`;
}

function renderJson(n: JsonNode, e: AccessLogEntry): string {
  switch (n.kind) {
    case 'value': {
      const v = n.get(e);
      return typeof v === 'number' ? String(v) : v === null ? 'null' : jsonString(v);
    }
    case 'text':
      return jsonString(n.render(e));
    case 'literal':
      return n.json;
    case 'map': {
      let out = '{';
      for (let i = 0; i < n.entries.length; i++) {
        const [k, v] = n.entries[i]!;
        if (i > 0) out += ',';
        out += k + renderJson(v, e);
      }
      return `${out}}`;
    }
  }
}

/** A JSON format (json_format): one JSON object per line. */
export function compileJsonFormat(format: Readonly<Record<string, unknown>>): Formatter {
  const root = compileJsonNode(format, 'json_format');
  return (e) => `${renderJson(root, e)}\n`;
}

/** The problem with a text format, or undefined (for validators). */
export function textFormatProblem(format: string): string | undefined {
  try {
    compileTextFormat(format);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The problem with a JSON format's labels, or undefined (for validators). */
export function jsonFormatProblem(format: Readonly<Record<string, unknown>>): string | undefined {
  try {
    compileJsonFormat(format);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
