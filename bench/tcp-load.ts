// TCP throughput: `connections` connections each send an 8-byte length then `bytesPerConnection`
// bytes to the sink (bench/proto-servers.ts), which answers "ok" once it has read them all. The
// result is the total acknowledged bytes over the time from the first connect to the last "ok".
// Bounded in time: after `timeLimitMs` the connections are closed and the bytes written so far
// are counted (flagged as time-bounded; bytes still buffered in the path are then included).

import net from 'node:net';
import { assertLoopback } from './probe.js';

export interface TcpLoadOptions {
  host: string;
  port: number;
  connections: number;
  bytesPerConnection: number;
  timeLimitMs: number;
}

export interface TcpLoadResult {
  /** 10^6 bytes per second. */
  mbPerS: number;
  bytes: number;
  elapsedMs: number;
  completed: number;
  timedOut: boolean;
  errors: number;
  firstError?: string;
}

const CHUNK = Buffer.alloc(256 * 1024, 0x61);

export async function runTcpLoad(o: TcpLoadOptions): Promise<TcpLoadResult> {
  assertLoopback(o.host);
  const start = process.hrtime.bigint();
  let written = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  let timedOut = false;
  const sockets: net.Socket[] = [];

  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const sock = net.connect({ host: o.host, port: o.port });
      sockets.push(sock);
      let left = o.bytesPerConnection;
      let answer = '';
      let done = false;
      const finish = (err?: string): void => {
        if (done) return;
        done = true;
        if (err !== undefined) {
          errors++;
          firstError ??= err;
        }
        sock.destroy();
        resolve();
      };
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, CHUNK.length);
          left -= n;
          written += n;
          if (!sock.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
            sock.once('drain', pump);
            return;
          }
        }
      };
      sock.setNoDelay(true);
      sock.once('connect', () => {
        const head = Buffer.alloc(8);
        head.writeBigUInt64BE(BigInt(o.bytesPerConnection));
        sock.write(head);
        pump();
      });
      sock.on('data', (d: Buffer) => {
        answer += d.toString('latin1');
        if (answer.includes('ok\n')) {
          completed++;
          finish();
        }
      });
      sock.on('error', (e) => finish(e.message));
      sock.on('close', () => finish(timedOut ? undefined : 'connection closed before the sink acknowledged'));
    });

  const limit = setTimeout(() => {
    timedOut = true;
    for (const s of sockets) s.destroy();
  }, o.timeLimitMs);
  await Promise.all(Array.from({ length: o.connections }, () => one()));
  clearTimeout(limit);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const bytes = timedOut ? written : completed * o.bytesPerConnection;
  const r: TcpLoadResult = { mbPerS: bytes / 1e6 / (elapsedMs / 1000), bytes, elapsedMs, completed, timedOut, errors };
  if (firstError !== undefined) r.firstError = firstError;
  return r;
}
