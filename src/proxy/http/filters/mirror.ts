// Request mirroring (Envoy's request_mirror_policies, Istio's mirror/mirrors): a copy of the
// request goes to each mirror cluster whose percentage draws it, with "-shadow" appended to the
// host (before any port, as Envoy does). The copy is sent only once the whole request body has
// arrived and fits in 64 KiB (buffered here); larger bodies are not mirrored. The mirror's
// response is read and discarded; the caller never waits on it, and its failures are ignored.
import type { ProxyError } from '../../errors.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { ResponseHead } from '../codec/h1/response-parser.js';
import type { ResponseSink, UpstreamConnection } from '../../upstream/upstream-connection.js';
import type { MirrorConfig } from './types.js';

export const MIRROR_BODY_LIMIT = 64 * 1024;
/** A mirror request still unanswered after this long is dropped. */
const MIRROR_TIMEOUT_MS = 30_000;

/** "reviews:80" → "reviews-shadow:80"; "reviews" → "reviews-shadow"; IPv6 literals keep their brackets. */
export function shadowHost(host: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(host);
  if (!m) return `${host}-shadow`;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}

/**
 * The copy's request head from the one built for the upstream: host gets "-shadow", and the
 * body is framed by content-length (the copy is sent whole).
 */
export function shadowHead(head: string, bodyLength: number): string {
  const lines = head.slice(0, head.length - 4).split('\r\n');
  const out: string[] = [lines[0]!];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (name === 'host') out.push(`host: ${shadowHost(line.slice(colon + 1).trim())}`);
    else if (name !== 'transfer-encoding' && name !== 'content-length') out.push(line);
  }
  if (bodyLength > 0) out.push(`content-length: ${bodyLength}`);
  return `${out.join('\r\n')}\r\n\r\n`;
}

/** Discards one mirror response; the connection returns to its pool when the response ends. */
class DiscardSink implements ResponseSink {
  constructor(
    readonly method: string,
    private readonly done: () => void,
  ) {}
  onInformational(_head: ResponseHead): void {}
  onHead(_head: ResponseHead): void {}
  onBody(_data: Buffer): boolean {
    return true;
  }
  onEnd(_trailers: string[]): void {
    this.done();
  }
  onError(_err: ProxyError, _beforeHead: boolean): void {
    this.done();
  }
  batchStart(): void {}
  batchEnd(): void {}
}

/** Mirror copies pending for one request. */
export class RequestMirror {
  private body: Buffer[] | null = [];
  private bytes = 0;

  private constructor(
    private readonly clusters: ClusterManager,
    private readonly targets: string[],
    private readonly method: string,
    private readonly head: string,
  ) {}

  /** Draws each mirror's percentage; null when nothing is mirrored (or the body is too large). */
  static start(clusters: ClusterManager, mirrors: readonly MirrorConfig[], method: string, head: string, contentLength: number, rand: () => number = Math.random): RequestMirror | null {
    if (contentLength > MIRROR_BODY_LIMIT) return null;
    const targets = mirrors.filter((m) => m.fraction > 0 && rand() < m.fraction).map((m) => m.cluster);
    return targets.length === 0 ? null : new RequestMirror(clusters, targets, method, head);
  }

  data(chunk: Buffer): void {
    if (!this.body) return;
    this.bytes += chunk.length;
    if (this.bytes > MIRROR_BODY_LIMIT) this.body = null;
    else this.body.push(Buffer.from(chunk));
  }

  /** The request body is complete: send the copies. */
  end(): void {
    const body = this.body;
    this.body = null;
    if (!body) return;
    const payload = body.length === 0 ? null : Buffer.concat(body, this.bytes);
    const head = shadowHead(this.head, this.bytes);
    for (const name of this.targets) this.send(name, head, payload);
  }

  private send(name: string, head: string, payload: Buffer | null): void {
    const cluster = this.clusters.get(name);
    const host = cluster?.pick();
    if (!cluster || !host) return;
    let conn: UpstreamConnection | null = null;
    let timer: NodeJS.Timeout | null = null;
    const finish = (): void => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
    timer = setTimeout(() => {
      timer = null;
      cancel();
      conn?.abandon();
    }, MIRROR_TIMEOUT_MS);
    timer.unref();
    const cancel = this.clusters.acquire(host, cluster.config.connectTimeoutMs, (err, c) => {
      if (err || !c) return finish();
      if (timer === null) {
        c.onRelease?.(c, true);
        return;
      }
      conn = c;
      c.attach(new DiscardSink(this.method, finish));
      c.write(head);
      if (payload) c.write(payload);
      c.markRequestDone();
    });
  }
}
