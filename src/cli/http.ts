// Talking to the control plane's debug server (node:http, one connection per request). Network
// failures become ControlPlaneError with a message a user can act on.

import http from 'node:http';
import type { ControlPlaneAddress } from './context.js';
import { UsageError } from './context.js';

export class ControlPlaneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface RequestOptions {
  body?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Debug responses (config dumps) can be large, but not unbounded. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** Parses "HOST:PORT", "[v6]:PORT" or "http://HOST:PORT". */
export function parseControlPlane(raw: string): ControlPlaneAddress {
  let s = raw.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1] as string;
    portText = v6[2] as string;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon <= 0 || s.indexOf(':') !== colon) {
      throw new UsageError(`--control-plane must be HOST:PORT (got "${raw}")`);
    }
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`--control-plane has a bad port (got "${raw}")`);
  s = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, display: s };
}

function networkReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'timed out';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

export function unreachable(cp: ControlPlaneAddress, reason: string): ControlPlaneError {
  return new ControlPlaneError(`cannot reach the control plane at ${cp.display}: ${reason} — is \`weft up\` running?`);
}

export function request(
  cp: ControlPlaneAddress,
  method: 'GET' | 'POST',
  path: string,
  opts: RequestOptions = {},
): Promise<HttpResponse> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (body) {
      headers['content-type'] ??= 'application/yaml';
      headers['content-length'] = String(body.length);
    }
    const req = http.request({ host: cp.host, port: cp.port, method, path, headers, agent: false });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(unreachable(cp, networkReason(err))));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (c: Buffer) => {
        total += c.length;
        if (total > MAX_RESPONSE_BYTES) {
          res.destroy();
          reject(new ControlPlaneError(`response from ${cp.display}${path} is larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('error', (err) => reject(unreachable(cp, networkReason(err))));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.end(body);
  });
}

/** Parses a JSON body, or explains that whatever answered is not a weft control plane. */
export function parseJson(cp: ControlPlaneAddress, path: string, res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    throw new ControlPlaneError(
      `unexpected ${res.status} response from ${cp.display}${path} (not JSON; is that a weft control plane?)`,
    );
  }
}

/** GET a JSON document; any non-2xx status becomes a ControlPlaneError carrying the server's message. */
export async function getJson(cp: ControlPlaneAddress, path: string): Promise<unknown> {
  const res = await request(cp, 'GET', path);
  const value = parseJson(cp, path, res);
  if (res.status < 200 || res.status > 299) {
    const msg = (value as { error?: unknown } | null)?.error;
    throw new ControlPlaneError(`control plane answered ${res.status}: ${typeof msg === 'string' ? msg : res.body.trim()}`);
  }
  return value;
}

/** Returns the string elements of `v[key]` (the server's replies are checked, not trusted). */
export function stringList(v: unknown, key: string): string[] {
  const list = (v as Record<string, unknown> | null)?.[key];
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
}
