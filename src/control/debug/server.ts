// The control plane's HTTP debug server (port 15014): /metrics, /debug/* and /healthz. It only
// translates HTTP to DebugBackend calls; every input is untrusted and no request may crash it.

import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALL_KINDS } from '../../api/types.js';
import type { KindName } from '../../api/types.js';
import type { DebugBackend, ResourceQuery } from './backend.js';

/** Request bodies (YAML for apply/delete) larger than this get 413. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Past this much body we stop draining politely and drop the connection. */
const HARD_BODY_CAP_BYTES = 4 * MAX_BODY_BYTES;
/** Header naming the file a posted YAML stream came from (used in error messages). */
export const SOURCE_HEADER = 'x-weft-source';
const MAX_SOURCE_NAME = 1024;

export interface DebugServerOptions {
  host: string;
  port: number;
  /** Defaults to MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /**
   * Called for paths this server does not know (e.g. the dashboard's pages). Return true if it
   * handled the request; otherwise the server answers 404. A throw becomes a 500.
   */
  fallback?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface DebugServer {
  close(): Promise<void>;
  address: { host: string; port: number };
}

interface Reply {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

interface RequestContext {
  query: URLSearchParams;
  body: string;
  source: string;
}

interface Route {
  method: 'GET' | 'POST';
  handle(backend: DebugBackend, ctx: RequestContext): Reply;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

function json(status: number, value: unknown): Reply {
  const body = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
  return { status, contentType: JSON_TYPE, body: `${body ?? 'null'}\n` };
}

function jsonError(status: number, message: string, headers?: Record<string, string>): Reply {
  return { ...json(status, { error: message }), ...(headers ? { headers } : {}) };
}

/** apply/delete errors keep the ApplyResult shape so the CLI can print them one way. */
function mutationError(status: number, message: string, headers?: Record<string, string>): Reply {
  const reply = json(status, { error: message, applied: [], unchanged: [], warnings: [], errors: [message] });
  return headers ? { ...reply, headers } : reply;
}

function parseKind(raw: string): KindName | undefined {
  const lower = raw.toLowerCase();
  return ALL_KINDS.find((k) => k.toLowerCase() === lower);
}

function nonEmpty(q: URLSearchParams, key: string): string | undefined {
  const v = q.get(key);
  return v === null || v === '' ? undefined : v;
}

const ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/healthz', { method: 'GET', handle: () => ({ status: 200, contentType: TEXT_TYPE, body: 'ok\n' }) }],
  [
    '/metrics',
    { method: 'GET', handle: (b) => ({ status: 200, contentType: PROMETHEUS_TYPE, body: b.metricsText() }) },
  ],
  ['/debug/syncz', { method: 'GET', handle: (b) => json(200, b.syncz()) }],
  [
    '/debug/prometheus_sd',
    { method: 'GET', handle: (b) => (b.prometheusSd ? json(200, b.prometheusSd()) : jsonError(404, 'service discovery is not available')) },
  ],
  [
    '/debug/config',
    {
      method: 'GET',
      handle(b, { query }) {
        const q: ResourceQuery = {};
        const rawKind = nonEmpty(query, 'kind');
        if (rawKind !== undefined) {
          const kind = parseKind(rawKind);
          if (!kind) return jsonError(400, `unknown kind "${rawKind}"; expected one of ${ALL_KINDS.join(', ')}`);
          q.kind = kind;
        }
        const namespace = nonEmpty(query, 'namespace');
        if (namespace !== undefined) q.namespace = namespace;
        const name = nonEmpty(query, 'name');
        if (name !== undefined) q.name = name;
        return json(200, { resources: b.listResources(q) });
      },
    },
  ],
  [
    '/debug/config/apply',
    {
      method: 'POST',
      handle(b, { body, source }) {
        const result = b.apply(body, source);
        return json(result.errors.length > 0 ? 400 : 200, result);
      },
    },
  ],
  [
    '/debug/config/delete',
    {
      method: 'POST',
      handle(b, { body, source }) {
        const result = b.delete(body, source);
        return json(result.errors.length > 0 ? 400 : 200, result);
      },
    },
  ],
  [
    '/debug/config_dump',
    {
      method: 'GET',
      handle(b, { query }) {
        const proxy = nonEmpty(query, 'proxy');
        if (proxy === undefined) return jsonError(400, 'missing query parameter "proxy" (a proxy id from /debug/syncz)');
        const dump = b.configDump(proxy);
        if (dump === null || dump === undefined) return jsonError(404, `no connected proxy with id "${proxy}"`);
        return json(200, dump);
      },
    },
  ],
]);

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, {
    'content-type': reply.contentType,
    'content-length': String(body.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  res.end(body);
}

type BodyResult = { kind: 'ok'; body: Buffer } | { kind: 'too-large' } | { kind: 'gone' };

/**
 * Reads a request body up to `limit` bytes. Past the limit it keeps draining (discarding) so a
 * well-behaved client can read the 413, but gives up on the connection past HARD_BODY_CAP_BYTES.
 */
function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    const finish = (r: BodyResult): void => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total <= limit) chunks.push(chunk);
      else if (total > HARD_BODY_CAP_BYTES) {
        req.socket.destroy();
        finish({ kind: 'gone' });
      }
    });
    req.on('end', () => finish(total > limit ? { kind: 'too-large' } : { kind: 'ok', body: Buffer.concat(chunks) }));
    req.on('error', () => finish({ kind: 'gone' }));
    req.on('close', () => finish({ kind: 'gone' }));
  });
}

function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

function sourceName(req: IncomingMessage): string {
  const raw = req.headers[SOURCE_HEADER];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || v.trim() === '') return '<request>';
  // Headers are latin1 on the wire; the CLI percent-encodes non-ASCII paths.
  let name = v.trim();
  try {
    name = decodeURIComponent(name);
  } catch {
    // Not percent-encoded; keep it as sent.
  }
  return name.length > MAX_SOURCE_NAME ? `${name.slice(0, MAX_SOURCE_NAME)}...` : name;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function handle(
  backend: DebugBackend,
  opts: DebugServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const limit = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const route = ROUTES.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
  if (!route) {
    if (opts.fallback?.(req, res)) return;
    req.resume();
    send(res, jsonError(404, `no such endpoint: ${req.method ?? '?'} ${path}`));
    return;
  }
  const method = req.method ?? '';
  const allowed = route.method === 'GET' ? ['GET', 'HEAD'] : ['POST'];
  if (!allowed.includes(method)) {
    req.resume();
    send(res, jsonError(405, `method ${method} not allowed on ${path}; use ${allowed.join(' or ')}`, { allow: allowed.join(', ') }));
    return;
  }
  let body = '';
  if (route.method === 'POST') {
    const declared = declaredLength(req);
    if (declared !== undefined && declared > HARD_BODY_CAP_BYTES) {
      send(res, mutationError(413, `request body is ${declared} bytes; the limit is ${limit}`, { connection: 'close' }));
      req.resume();
      return;
    }
    const read = await readBody(req, limit);
    if (read.kind === 'gone') return;
    if (read.kind === 'too-large') {
      send(res, mutationError(413, `request body is larger than the ${limit}-byte limit`));
      return;
    }
    try {
      body = utf8.decode(read.body);
    } catch {
      send(res, mutationError(400, 'request body is not valid UTF-8'));
      return;
    }
  }
  const ctx: RequestContext = { query, body, source: sourceName(req) };
  try {
    send(res, route.handle(backend, ctx));
  } catch (err) {
    const message = `internal error: ${err instanceof Error ? err.message : String(err)}`;
    send(res, route.method === 'POST' ? mutationError(500, message) : jsonError(500, message));
  }
}

export async function startDebugServer(backend: DebugBackend, opts: DebugServerOptions): Promise<DebugServer> {
  const server = http.createServer((req, res) => {
    handle(backend, opts, req, res).catch((err: unknown) => {
      // handle() catches backend errors itself; this is the last line of defence.
      send(res, jsonError(500, `internal error: ${err instanceof Error ? err.message : String(err)}`));
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Errors after listen (e.g. EMFILE on accept) must not become uncaught exceptions.
  server.on('error', () => undefined);
  const info = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    address: { host: info.address, port: info.port },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
