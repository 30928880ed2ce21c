// Sends finished spans to a collector in batches, off the request path: a bounded buffer (full:
// the span is dropped and counted), flushed when a batch fills or after a short delay, one POST
// at a time to a host picked from the provider's cluster (plaintext HTTP/1.1).
import http from 'node:http';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { TraceProvider } from './types.js';
import { otlpJson, zipkinJson, type FinishedSpan } from './span.js';

export const MAX_BUFFERED_SPANS = 2048;
const BATCH = 256;
const FLUSH_DELAY_MS = 200;
const POST_TIMEOUT_MS = 5000;

export interface ExporterStats {
  exported: number;
  dropped: number;
  failedPosts: number;
}

export class SpanExporter {
  private buffer: FinishedSpan[] = [];
  private timer: NodeJS.Timeout | null = null;
  private posting = false;
  readonly stats: ExporterStats = { exported: 0, dropped: 0, failedPosts: 0 };

  constructor(
    readonly provider: TraceProvider,
    private readonly clusters: ClusterManager,
  ) {}

  add(span: FinishedSpan): void {
    if (this.buffer.length >= MAX_BUFFERED_SPANS) {
      this.stats.dropped++;
      return;
    }
    this.buffer.push(span);
    if (this.buffer.length >= BATCH) this.flushSoon(0);
    else this.flushSoon(FLUSH_DELAY_MS);
  }

  private flushSoon(ms: number): void {
    if (this.posting) return; // the running POST flushes again when it ends
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), ms);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = null;
    if (this.buffer.length === 0 || this.posting) return;
    const batch = this.buffer.splice(0, BATCH);
    const host = this.clusters.get(this.provider.cluster)?.pick();
    if (!host) {
      this.stats.dropped += batch.length;
      this.stats.failedPosts++;
      return this.next();
    }
    const body = this.provider.format === 'zipkin' ? zipkinJson(batch) : otlpJson(batch);
    this.posting = true;
    const req = http.request({
      host: host.address,
      port: host.port,
      method: 'POST',
      path: this.provider.path,
      timeout: POST_TIMEOUT_MS,
      headers: { host: this.provider.authority ?? `${host.address}:${host.port}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => this.done(batch.length, (res.statusCode ?? 0) < 300));
      res.on('error', () => this.done(batch.length, false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => this.done(batch.length, false));
    req.end(body);
  }

  private done(n: number, ok: boolean): void {
    if (!this.posting) return;
    this.posting = false;
    if (ok) this.stats.exported += n;
    else {
      this.stats.dropped += n;
      this.stats.failedPosts++;
    }
    this.next();
  }

  private next(): void {
    if (this.buffer.length > 0) this.flushSoon(this.buffer.length >= BATCH ? 0 : FLUSH_DELAY_MS);
  }
}
