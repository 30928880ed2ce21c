// Small HTTP probes used to wait for readiness and to check that a target answers correctly.
// Every call is bounded by a timeout; every target is a loopback address.

import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProbeResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ProbeOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export function assertLoopback(host: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) && host !== 'localhost' && host !== '::1') {
    throw new Error(`refusing to send traffic to non-loopback address ${host}`);
  }
}

export function httpRequest(host: string, port: number, path: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  assertLoopback(host);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host,
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: false,
        timeout: opts.timeoutMs ?? 2000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 2000} ms`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `check` every `intervalMs` until it returns true, or throws after `timeoutMs` with the
 * last error or `what` in the message.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastError = '';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
}

/** `n` distinct TCP ports on 127.0.0.1 that were free a moment ago (bound to port 0, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** True when something accepts TCP connections on host:port (checked before binding there). */
export function portInUse(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  assertLoopback(host);
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Throws a clear error naming every listed address that is already taken. */
export async function requireFree(what: string, addrs: readonly { host: string; port: number }[]): Promise<void> {
  const taken: string[] = [];
  for (const a of addrs) if (await portInUse(a.host, a.port)) taken.push(`${a.host}:${a.port}`);
  if (taken.length > 0) {
    throw new Error(`${what}: ${taken.join(', ')} already in use by another process (is another mesh or bench running? --addr-prefix=127.N moves the bench's addresses)`);
  }
}
