// Readiness waits: for an output line, for an HTTP 200, for a TCP port that accepts connections.
// Each takes a timeout and an AbortSignal (aborted when the process dies or the user stops).

import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { LineListener, StreamName } from './process.js';

export class WaitTimeoutError extends Error {
  constructor(readonly what: string, readonly timeoutMs: number) {
    super(`timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for ${what}`);
    this.name = 'WaitTimeoutError';
  }
}

export class WaitAbortedError extends Error {
  constructor(readonly what: string, reason: unknown) {
    super(`stopped waiting for ${what}${reason instanceof Error ? `: ${reason.message}` : ''}`);
    this.name = 'WaitAbortedError';
  }
}

export interface WaitOptions {
  timeoutMs: number;
  /** Human description for errors, e.g. "http://127.0.0.1:15000/ready to answer 200". */
  what: string;
  signal?: AbortSignal;
  intervalMs?: number;
}

/** Polls `check` until it returns true; rejects with WaitTimeoutError or WaitAbortedError. */
export async function waitUntil(check: () => Promise<boolean>, o: WaitOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const interval = o.intervalMs ?? 100;
  for (;;) {
    if (o.signal?.aborted) throw new WaitAbortedError(o.what, o.signal.reason);
    if (await check()) return;
    if (o.signal?.aborted) throw new WaitAbortedError(o.what, o.signal.reason);
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(o.what, o.timeoutMs);
    try {
      await delay(Math.min(interval, left), undefined, o.signal ? { signal: o.signal } : {});
    } catch {
      throw new WaitAbortedError(o.what, o.signal?.reason);
    }
  }
}

/** Something that reports output lines (ManagedProcess does). */
export interface LineSource {
  onLine(listener: LineListener): () => void;
}

/** Resolves on the first line (of `stream`, if given) that satisfies `match`. */
export function waitForLine(
  source: LineSource,
  match: (line: string) => boolean,
  o: WaitOptions & { stream?: StreamName },
): Promise<string> {
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => undefined;
    const timer = setTimeout(() => finish(new WaitTimeoutError(o.what, o.timeoutMs)), o.timeoutMs);
    const onAbort = (): void => finish(new WaitAbortedError(o.what, o.signal?.reason));
    function finish(err: Error | undefined, line?: string): void {
      clearTimeout(timer);
      unsubscribe();
      o.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(line ?? '');
    }
    if (o.signal?.aborted) return finish(new WaitAbortedError(o.what, o.signal.reason));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    unsubscribe = source.onLine((stream, line) => {
      if ((o.stream === undefined || o.stream === stream) && match(line)) finish(undefined, line);
    });
  });
}

/** One GET; true iff it answers 200 within timeoutMs. Never rejects. */
export function httpOk(url: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** True iff a TCP connection to host:port is accepted within timeoutMs. Never rejects. */
export function tcpAccepts(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
