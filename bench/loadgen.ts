// Open-loop, fixed-rate HTTP/1.1 load generator over raw `net` sockets.
//
// Schedule: request i is intended to be sent at T(i) = start + i / rate and is assigned to
// connection i mod C (each connection carries rate / C requests per second, staggered, as wrk2
// does). A connection carries one request at a time (keep-alive, no pipelining).
//
// Latency is measured from the intended send time, so a stalled target is charged for every
// request that had to wait behind a slow one (no coordinated omission):
//
//   latency(i) = (completed - sent) + max(0, connectionFreeAt - T(i))
//
// i.e. the service time plus the time the request waited because its connection was still busy
// with an earlier response. The only delay not charged to the target is the generator's own
// timer lateness when the connection was already free (sent - max(T(i), connectionFreeAt)); it is
// reported separately as `sendLag` so a run where the generator itself fell behind is visible.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ResponseParser } from './http1-response.js';
import type { ParsedResponse } from './http1-response.js';
import { LatencyRecorder, summarize } from './percentiles.js';
import type { LatencySummary } from './percentiles.js';
import { assertLoopback } from './probe.js';

export interface FixedRateOptions {
  host: string;
  port: number;
  /** Origin-form request target. */
  path?: string;
  /** Host header (defaults to host:port). */
  hostHeader?: string;
  /** Requests per second, over all connections. */
  rate: number;
  connections: number;
  /** Requests intended before warmupMs are sent but not recorded. */
  warmupMs: number;
  /** Length of the recorded window after warm-up. */
  durationMs: number;
  /** After the last intended send, wait at most this long for outstanding responses. */
  drainTimeoutMs?: number;
  /** Count a response whose body length differs as an error. */
  expectBodyBytes?: number;
}

export interface FixedRateResult {
  /** Latency from intended send time (coordinated-omission corrected), ms. */
  latency: LatencySummary;
  /** Latency from the moment the request was written, ms (for comparison only). */
  serviceLatency: LatencySummary;
  /** Generator timer lateness (ms) for requests whose connection was free. */
  sendLag: LatencySummary;
  /** Requests intended in the recorded window. */
  intended: number;
  completed: number;
  /** Non-200 status, wrong body size, connection errors. */
  errors: number;
  /** Requests of the window that had no response by the end. */
  incomplete: number;
  reconnects: number;
  /**
   * Completed requests of the window per second, over the window or, when responses trailed past
   * it (target slower than the offered rate), until the last of them.
   */
  achievedRps: number;
  /** CPU time the generator used, as percent of one core, over the whole run. */
  generatorCpuPercent: number;
  firstError: string | undefined;
}

interface InFlight {
  index: number;
  intended: number;
  sent: number;
  /** Time the connection became free (or T(i) if later): start of the charged wait. */
  waitFrom: number;
}

class Conn {
  socket: net.Socket | undefined;
  connected = false;
  inFlight: InFlight | undefined;
  freeSince = 0;
  /** Indexes of due requests waiting for this connection. */
  queue: number[] = [];
  queueHead = 0;
  parser: ResponseParser;

  constructor(onResponse: (c: Conn, r: ParsedResponse) => void) {
    this.parser = new ResponseParser((r) => onResponse(this, r));
  }

  hasQueued(): boolean {
    return this.queueHead < this.queue.length;
  }

  shift(): number | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const v = this.queue[this.queueHead++];
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return v;
  }
}

export function runFixedRate(opts: FixedRateOptions): Promise<FixedRateResult> {
  assertLoopback(opts.host);
  if (!(opts.rate > 0) || opts.connections < 1) throw new RangeError('rate and connections must be positive');
  const path = opts.path ?? '/';
  const hostHeader = opts.hostHeader ?? `${opts.host}:${opts.port}`;
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: weft-bench\r\nAccept: */*\r\n\r\n`, 'latin1');
  const interval = 1000 / opts.rate;
  const total = Math.ceil(((opts.warmupMs + opts.durationMs) / 1000) * opts.rate);
  const firstRecorded = Math.ceil((opts.warmupMs / 1000) * opts.rate);
  const drainTimeoutMs = opts.drainTimeoutMs ?? 5000;

  const latency = new LatencyRecorder(total - firstRecorded + 16);
  const service = new LatencyRecorder(total - firstRecorded + 16);
  const lag = new LatencyRecorder(total - firstRecorded + 16);
  let completed = 0;
  let errors = 0;
  let reconnects = 0;
  let firstError: string | undefined;
  let finished = 0; // responses or failures for any index (warm-up included)
  let lastCompletion = 0;
  let next = 0;
  let start = 0;
  let stopped = false;

  const noteError = (msg: string, index: number | undefined): void => {
    if (index === undefined || index >= firstRecorded) {
      errors++;
      firstError ??= msg;
    }
  };

  return new Promise<FixedRateResult>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();

    const onResponse = (c: Conn, r: ParsedResponse): void => {
      const now = performance.now();
      const f = c.inFlight;
      c.inFlight = undefined;
      c.freeSince = now;
      if (f === undefined) {
        noteError('response without a request', undefined);
      } else {
        finished++;
        if (f.index >= firstRecorded) {
          const ok = r.status === 200 && (opts.expectBodyBytes === undefined || r.bodyBytes === opts.expectBodyBytes);
          if (ok) {
            completed++;
            lastCompletion = now;
            latency.record(now - f.sent + Math.max(0, f.waitFrom - f.intended));
            service.record(now - f.sent);
          } else {
            noteError(`status ${r.status}, body ${r.bodyBytes} bytes`, f.index);
          }
        }
      }
      if (r.close) {
        c.socket?.destroy(); // the 'close' handler reconnects and sends queued work
      } else {
        pump(c, now);
      }
      checkDone();
    };

    const conns: Conn[] = [];
    for (let i = 0; i < opts.connections; i++) conns.push(new Conn(onResponse));

    const send = (c: Conn, index: number, now: number): void => {
      const intended = start + index * interval;
      const waitFrom = Math.max(intended, c.freeSince);
      if (index >= firstRecorded) lag.record(Math.max(0, now - waitFrom));
      c.inFlight = { index, intended, sent: now, waitFrom };
      c.socket?.write(request);
    };

    const pump = (c: Conn, now: number): void => {
      if (stopped || !c.connected || c.inFlight !== undefined) return;
      const index = c.shift();
      if (index !== undefined) send(c, index, now);
    };

    const connect = (c: Conn): void => {
      if (stopped) return;
      const socket = net.connect({ host: opts.host, port: opts.port });
      c.socket = socket;
      c.connected = false;
      c.parser = new ResponseParser((r) => onResponse(c, r));
      socket.setNoDelay(true);
      socket.on('connect', () => {
        c.connected = true;
        c.freeSince = performance.now();
        pump(c, c.freeSince);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          c.parser.push(chunk);
        } catch (err) {
          noteError(`bad response: ${(err as Error).message}`, c.inFlight?.index);
          socket.destroy();
        }
      });
      socket.on('end', () => c.parser.end());
      socket.on('error', (err) => {
        if (!stopped) noteError(`socket error: ${err.message}`, c.inFlight?.index);
      });
      socket.on('close', () => {
        if (c.socket !== socket) return;
        c.connected = false;
        if (c.inFlight !== undefined) {
          noteError('connection closed with a request in flight', c.inFlight.index);
          finished++;
          c.inFlight = undefined;
          checkDone();
        }
        if (stopped) return;
        reconnects++;
        setTimeout(() => connect(c), 10);
      });
    };

    const tick = (): void => {
      timer = undefined;
      if (stopped) return;
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const c = conns[next % conns.length] as Conn;
        c.queue.push(next);
        next++;
        pump(c, now);
      }
      if (next < total) {
        const wait = start + next * interval - performance.now();
        timer = setTimeout(tick, Math.max(0, wait));
      } else {
        checkDone();
      }
    };

    const checkDone = (): void => {
      if (stopped || next < total) return;
      if (finished >= total) stop();
    };

    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (deadline !== undefined) clearTimeout(deadline);
      for (const c of conns) c.socket?.destroy();
      const cpu = process.cpuUsage(cpuStart);
      const wall = performance.now() - wallStart;
      const intended = total - firstRecorded;
      const windowStart = start + firstRecorded * interval;
      const spanMs = Math.max(opts.durationMs, lastCompletion - windowStart);
      resolve({
        latency: latency.summary(),
        serviceLatency: service.summary(),
        sendLag: summarize(lag.sorted()),
        intended,
        completed,
        errors,
        incomplete: Math.max(0, intended - completed - errors),
        reconnects,
        achievedRps: completed / (spanMs / 1000),
        generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / wall) * 100,
        firstError,
      });
    };

    for (const c of conns) connect(c);
    // Start the schedule once every connection had a chance to connect (bounded: 2 s).
    const startAt = performance.now();
    const waitConnected = (): void => {
      if (conns.every((c) => c.connected) || performance.now() - startAt > 2000) {
        start = performance.now();
        const hardStop = opts.warmupMs + opts.durationMs + drainTimeoutMs;
        deadline = setTimeout(stop, hardStop);
        tick();
      } else {
        setTimeout(waitConnected, 5);
      }
    };
    waitConnected();
  });
}
