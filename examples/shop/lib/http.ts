// Small node:http helpers shared by the shop apps: identity from the environment, JSON/HTML
// responses, size-limited body reading, and a server with graceful shutdown on SIGTERM.

import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';

export interface AppInfo {
  instance: string;
  workload: string;
  namespace: string;
  version: string;
}

/** Who we are, as set by the mesh runner (with defaults for running an app by hand). */
export function appInfo(): AppInfo {
  const env = process.env;
  return {
    instance: env.WEFT_INSTANCE || os.hostname(),
    workload: env.WEFT_WORKLOAD || 'unknown',
    namespace: env.WEFT_NAMESPACE || 'default',
    version: env.VERSION || 'v1',
  };
}

export function log(message: string): void {
  const info = appInfo();
  console.log(`${new Date().toISOString()} [${info.instance} ${info.version}] ${message}`);
}

/** An error that maps to an HTTP status; its message is safe to show to the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

export function sendHtml(res: ServerResponse, status: number, page: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
  res.end(page);
}

/** Redirects with a relative Location, so it stays correct behind a gateway path prefix. */
export function redirect(res: ServerResponse, status: 301 | 303, location: string): void {
  res.writeHead(status, { location, 'content-length': 0 });
  res.end();
}

export const DEFAULT_BODY_LIMIT = 16 * 1024;

export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export async function readJsonBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const type = mediaType(req);
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'expected a JSON body (content-type: application/json)');
  }
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

/** Reads an HTML form post (application/x-www-form-urlencoded). */
export async function readFormBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<URLSearchParams> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'expected a form post (application/x-www-form-urlencoded)');
  }
  return new URLSearchParams((await readBody(req, limit)).toString('utf8'));
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface AppOptions {
  handler: Handler;
  /** Called on SIGTERM/SIGINT before the server closes (stop pollers, close clients). */
  onShutdown?: () => void;
}

/**
 * Serves `handler` on WEFT_HOST:PORT. Every response says which instance and version served it
 * (x-served-by, x-version); GET /healthz answers 200. On SIGTERM/SIGINT: stop, drain, exit 0.
 */
export function startApp(opts: AppOptions): http.Server {
  const info = appInfo();
  const server = http.createServer((req, res) => {
    res.setHeader('x-served-by', info.instance);
    res.setHeader('x-version', info.version);
    const url = new URL(req.url ?? '/', 'http://app.invalid');
    if (url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok', ...info });
    Promise.resolve()
      .then(() => opts.handler(req, res, url))
      .catch((err: unknown) => handleError(req, res, err));
  });
  const host = process.env.WEFT_HOST || '127.0.0.1';
  const port = Number(process.env.PORT || 8080);
  server.listen(port, host, () => log(`listening on http://${host}:${port}`));
  server.on('error', (err) => {
    log(`server error: ${err.message}`);
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    opts.onShutdown?.();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, 3000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return server;
}

function handleError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const status = err instanceof HttpError ? err.status : 500;
  const message = err instanceof HttpError ? err.message : 'internal error';
  if (status >= 500) log(`${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // After a 413 the rest of the body is unread: close the connection rather than read it.
  if (status === 413) res.setHeader('connection', 'close');
  sendJson(res, status, { error: message });
}

/** 405/404 helper for the apps' small routing switches. */
export function notFound(): never {
  throw new HttpError(404, 'not found');
}
