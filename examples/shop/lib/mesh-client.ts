// Calls other services by their mesh name through the sidecar. With HTTP_PROXY set (the runner
// sets it to the sidecar's outbound listener) every request goes to that proxy in absolute form:
//   GET http://order.default.svc.cluster.local/feed?after=3 HTTP/1.1
//   Host: order.default.svc.cluster.local
// and the sidecar does routing, load balancing, retries, mTLS. Without HTTP_PROXY the request goes
// straight to the URL's host (handy for running an app by hand or in tests).

import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

/** Tracing headers an app must copy from its incoming request to the requests it makes. */
export const TRACE_HEADERS: readonly string[] = [
  'x-request-id',
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'x-ot-span-context',
];

/** Headers that steer routing inside the mesh (see the shipping VirtualService) and so travel along too. */
export const ROUTING_HEADERS: readonly string[] = ['x-canary'];

/** The headers of `incoming` worth forwarding on an outgoing call made while serving it. */
export function propagatedHeaders(incoming: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...TRACE_HEADERS, ...ROUTING_HEADERS]) {
    const value = incoming[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/**
 * Base URL of a service in the mesh: http://<name>.<namespace>.svc.cluster.local.
 * Dev/test override: if <NAME>_URL is set (e.g. ORDER_URL=http://127.0.0.1:9001) it is used instead.
 */
export function serviceUrl(name: string): string {
  const override = process.env[`${name.toUpperCase()}_URL`];
  if (override) return override.replace(/\/+$/, '');
  return `http://${name}.${process.env.WEFT_NAMESPACE || 'default'}.svc.cluster.local`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

export interface MeshRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Proxy URL; defaults to HTTP_PROXY. Pass null to connect directly. */
  proxy?: string | null;
}

export interface MeshResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

function proxyFromEnv(): string | null {
  return process.env.HTTP_PROXY || process.env.http_proxy || null;
}

export function meshRequest(target: string, opts: MeshRequestOptions = {}): Promise<MeshResponse> {
  const method = (opts.method ?? 'GET').toUpperCase();
  const attempt = (): Promise<MeshResponse> => send(target, method, opts);
  return attempt().catch((err: unknown) => {
    // A pooled keep-alive connection may have been closed by the peer just as we reused it;
    // idempotent requests get one more try on a fresh connection.
    const reused = (err as { reusedSocket?: boolean }).reusedSocket === true;
    if (reused && (method === 'GET' || method === 'HEAD') && !opts.signal?.aborted) return attempt();
    throw err;
  });
}

function send(target: string, method: string, opts: MeshRequestOptions): Promise<MeshResponse> {
  const url = new URL(target);
  if (url.protocol !== 'http:') return Promise.reject(new Error(`mesh client speaks plain http only: ${target}`));
  const proxyUrl = opts.proxy === undefined ? proxyFromEnv() : opts.proxy;
  const proxy = proxyUrl ? new URL(proxyUrl) : null;
  const headers: Record<string, string | number> = { ...opts.headers, host: url.host };
  if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);

  return new Promise((resolve, reject) => {
    const req = http.request({
      agent,
      method,
      host: proxy ? proxy.hostname : url.hostname,
      port: Number(proxy ? proxy.port || 80 : url.port || 80),
      // Through a proxy the request target is the absolute URL; directly it is path + query.
      path: proxy ? url.href : url.pathname + url.search,
      headers,
      signal: opts.signal,
    });
    const fail = (err: Error): void => {
      Object.assign(err, { reusedSocket: req.reusedSocket });
      reject(err);
    };
    req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new Error(`timeout calling ${target}`)));
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(`response from ${target} too large`));
        else chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('close', () => {
        if (!res.complete) fail(new Error(`connection closed before the response from ${target} was complete`));
      });
    });
    req.end(opts.body);
  });
}

/** GET (or other method) returning parsed JSON; non-2xx statuses become errors. */
export async function meshJson(target: string, opts: MeshRequestOptions = {}): Promise<{ data: unknown; headers: IncomingHttpHeaders }> {
  const res = await meshRequest(target, { ...opts, headers: { accept: 'application/json', ...opts.headers } });
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${opts.method ?? 'GET'} ${target}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
  }
  try {
    return { data: JSON.parse(res.body.toString('utf8')) as unknown, headers: res.headers };
  } catch {
    throw new Error(`${target}: response is not JSON`);
  }
}

/** Closes pooled connections (call on shutdown so the process can exit promptly). */
export function closeMeshClient(): void {
  agent.destroy();
}
