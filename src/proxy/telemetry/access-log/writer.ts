// Access-log sinks that never block the request path. A line is appended to an in-memory buffer;
// one asynchronous fs.write (libuv's thread pool, not the event loop) flushes what has gathered.
// While a write is in flight new lines wait; when the waiting bytes pass the bound, lines are
// dropped and counted (weft_access_log_dropped_total{path}), so a slow disk or a full stdout
// pipe costs log lines, never request latency.
//
// One writer per path per process: listeners and config updates share it, and it stays open.
import fs from 'node:fs';
import type { Counter, Registry } from '../../../telemetry/prom.js';

/** Bytes that may wait for the disk before lines are dropped. */
export const DEFAULT_BUFFER_LIMIT = 4 * 1024 * 1024;

export class LogWriter {
  written = 0;
  dropped = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private fd: number | null;
  private busy = false;
  private opening = false;
  private failed = false;

  constructor(
    readonly path: string,
    private readonly limit = DEFAULT_BUFFER_LIMIT,
    private readonly onError: (msg: string) => void = () => {},
    private readonly onDrop: (lines: number) => void = () => {},
  ) {
    this.fd = path === '/dev/stdout' ? 1 : path === '/dev/stderr' ? 2 : null;
  }

  /** Queues one line (it carries its own newline). Never throws, never waits. */
  write(line: string): void {
    if (this.failed || this.pendingBytes + line.length > this.limit) {
      this.drop(1);
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (!this.busy) {
      this.busy = true;
      setImmediate(() => this.flush());
    }
  }

  private drop(lines: number): void {
    this.dropped += lines;
    this.onDrop(lines);
  }

  /** Bytes waiting to be written. */
  get buffered(): number {
    return this.pendingBytes;
  }

  private flush(): void {
    if (this.fd === null) {
      if (this.opening) return;
      this.opening = true;
      fs.open(this.path, 'a', (err, fd) => {
        this.opening = false;
        if (err) {
          this.failed = true;
          this.drop(this.pending.length);
          this.pending = [];
          this.pendingBytes = 0;
          this.busy = false;
          this.onError(`access log ${this.path}: ${err.message}; lines are dropped`);
          return;
        }
        this.fd = fd;
        this.flush();
      });
      return;
    }
    if (this.pending.length === 0) {
      this.busy = false;
      return;
    }
    const lines = this.pending;
    const buf = Buffer.from(lines.length === 1 ? lines[0]! : lines.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.writeAll(buf, 0, lines.length);
  }

  private writeAll(buf: Buffer, offset: number, lineCount: number): void {
    fs.write(this.fd!, buf, offset, buf.length - offset, null, (err, n) => {
      if (err) {
        // EAGAIN on a non-blocking pipe: try again shortly; anything else loses this batch.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          setTimeout(() => this.writeAll(buf, offset, lineCount), 5);
          return;
        }
        this.drop(lineCount);
        this.onError(`access log ${this.path}: ${err.message}`);
      } else if (offset + n < buf.length) {
        this.writeAll(buf, offset + n, lineCount);
        return;
      } else {
        this.written += lineCount;
      }
      this.flush();
    });
  }
}

const writers = new Map<string, LogWriter>();
let errorLog: (msg: string) => void = () => {};
let droppedTotal: Counter | undefined;

/** The process's writer for `path` ("/dev/stdout" writes to fd 1). */
export function writerFor(path: string): LogWriter {
  let w = writers.get(path);
  if (!w) {
    const child = droppedTotal?.labelsFrom([path]);
    w = new LogWriter(path, DEFAULT_BUFFER_LIMIT, (m) => errorLog(m), (n) => child?.inc(n));
    writers.set(path, w);
  }
  return w;
}

/** Registers weft_access_log_dropped_total{path} with the proxy's registry, and where writer errors go. */
export function registerAccessLogMetrics(registry: Registry, log: (msg: string) => void): void {
  errorLog = log;
  droppedTotal = registry.counter({
    name: 'weft_access_log_dropped_total',
    help: 'Access-log lines dropped because the write buffer was full or the sink failed.',
    labelNames: ['path'],
  });
}
