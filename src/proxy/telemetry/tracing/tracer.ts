// The Exchange's tracing hook. A listener whose HCM has `tracing` gets an HttpTracer; each
// Exchange opens one TraceTap at its start: the tap reads the caller's trace context, decides
// sampling (the caller's decision if it sent one, else random_sampling, from the x-request-id
// unless use_request_id_for_trace_sampling is off: ./request-id.ts), and makes this hop's
// span — a SERVER span on inbound listeners, a CLIENT span on outbound ones and gateways. The
// request head sent upstream carries the span as the next hop's parent (./propagation.ts) and the
// x-request-id; at completion the tap tags the span Istio's way and, if sampled, hands it to the
// exporter. Listeners without tracing cost nothing: no tap is created.
import crypto from 'node:crypto';
import type { RequestHead } from '../../http/codec/h1/request-parser.js';
import type { ClusterRuntime } from '../../upstream/cluster-manager.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { PeerMetadata } from '../../../xds/node-metadata.js';
import type { ConnectionSecurity } from '../../security/identity.js';
import { childOf, outgoingHeaderLines, readIncoming, type SpanContext } from './propagation.js';
import { SpanExporter } from './exporter.js';
import { applyCustomTags, type SpanCustomTag } from './custom-tags.js';
import { sampledByRequestId } from './request-id.js';
import type { TraceProvider, TracingConfig } from './types.js';
import type { Registry } from '../../../telemetry/registry.js';
import { getHeader } from '../../http/codec/h1/headers.js';

export interface TracerNode {
  /** The xDS node id (Istio's node_id tag). */
  id: string;
  /** The span's service, `<workload>.<namespace>` as Istio names it. */
  serviceName: string;
}

/** Sampling: the caller's decision wins; otherwise `percent` of requests. */
export function decideSampled(upstream: boolean | undefined, percent: number, random: number = Math.random()): boolean {
  if (upstream !== undefined) return upstream;
  return random * 100 < percent;
}

export class HttpTracer {
  constructor(
    readonly config: TracingConfig,
    private readonly exporter: SpanExporter,
    private readonly node: TracerNode,
    private readonly inbound: boolean,
  ) {}

  begin(req: RequestHead, down: { socket: object }): TraceTap {
    const h2 = 'session' in down.socket && down.socket.session !== undefined; // an h2 stream (as the access log tells)
    const incoming = readIncoming(req.headers);
    const requestId = getHeader(req.headers, 'x-request-id') ?? crypto.randomUUID();
    const percent = this.config.samplingPercent;
    // Envoy's default: without a caller's decision, the x-request-id decides, so hops agree (./request-id.ts).
    const byId = incoming.sampled === undefined && this.config.useRequestIdForSampling !== false ? sampledByRequestId(requestId, percent) : undefined;
    const span = childOf(incoming, decideSampled(incoming.sampled ?? byId, percent));
    return new TraceTap(req, h2, span, this.inbound, this.node, span.sampled ? this.exporter : null, requestId, this.config.customTags);
  }
}


export class TraceTap {
  private readonly startUs = (performance.timeOrigin + performance.now()) * 1000;

  constructor(
    private readonly req: RequestHead,
    private readonly h2: boolean,
    readonly span: SpanContext,
    private readonly inbound: boolean,
    private readonly node: TracerNode,
    private readonly exporter: SpanExporter | null,
    /** The request's x-request-id (the client's, or the one this proxy adds upstream). */
    readonly requestId: string,
    private readonly customTags?: readonly SpanCustomTag[],
  ) {}

  /** Header lines carrying this span upstream (the proxy drops the caller's trace headers). */
  headerLines(): string {
    return outgoingHeaderLines(this.span);
  }

  /** The request is over: tag the span and export it if sampled. */
  end(cluster: ClusterRuntime | null, flags: string, status: number, requestBytes: number, responseBytes: number, peer: PeerMetadata | null, security: ConnectionSecurity | undefined): void {
    if (!this.exporter) return;
    const req = this.req;
    let target = req.target;
    let authority = req.host ?? '';
    const abs = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^#]*)/i.exec(target);
    if (abs) {
      authority = abs[1]!;
      target = abs[2] || '/';
    }
    const tags: Record<string, string> = {
      component: 'proxy',
      node_id: this.node.id,
      'guid:x-request-id': this.requestId,
      'http.url': `http://${authority}${target}`,
      'http.method': req.method,
      'http.protocol': this.h2 ? 'HTTP/2' : `HTTP/1.${req.versionMinor}`,
      'http.status_code': String(status),
      upstream_cluster: cluster?.config.name ?? '-',
      response_flags: flags,
      request_size: String(requestBytes),
      response_size: String(responseBytes),
    };
    if (this.customTags) applyCustomTags(tags, this.customTags, req);
    const side = this.inbound ? 'source' : 'destination';
    const principal = peer?.principal || (this.inbound && security?.peerPrincipal ? `spiffe://${security.peerPrincipal}` : '');
    if (principal) tags[`${side}.principal`] = principal;
    if (peer?.workload) tags[`${side}.workload`] = `${peer.workload}.${peer.namespace}`;
    const s = this.span;
    this.exporter.add({
      traceId: s.traceId,
      spanId: s.spanId,
      ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
      name: `${authority.toLowerCase()}/*`,
      kind: this.inbound ? 'SERVER' : 'CLIENT',
      startUs: this.startUs,
      durationUs: (performance.timeOrigin + performance.now()) * 1000 - this.startUs,
      tags,
      serviceName: this.exporter.provider.serviceName ?? this.node.serviceName,
      error: status >= 500 || status === 0 || flags !== '-',
    });
  }
}

/** One exporter per provider in a proxy, shared by its listeners. */
export class Tracers {
  private readonly exporters = new Map<string, SpanExporter>();

  constructor(
    private readonly clusters: ClusterManager,
    private readonly node: TracerNode,
  ) {}

  forListener(cfg: TracingConfig | undefined, inbound: boolean): HttpTracer | undefined {
    if (!cfg) return undefined;
    return new HttpTracer(cfg, this.exporterFor(cfg.provider), this.node, inbound);
  }

  private exporterFor(p: TraceProvider): SpanExporter {
    const key = JSON.stringify([p.format, p.cluster, p.path, p.authority, p.serviceName]);
    let e = this.exporters.get(key);
    if (!e) this.exporters.set(key, (e = new SpanExporter(p, this.clusters)));
    return e;
  }

  /** weft_tracing_spans_total{provider, result=exported|dropped}, read at scrape time. */
  registerMetrics(registry: Registry): void {
    registry.counter({
      name: 'weft_tracing_spans_total',
      help: 'Sampled spans per tracing collector: exported, or dropped (buffer full, no collector host, failed POST).',
      labelNames: ['provider', 'result'],
      collect: () => this.stats().flatMap((s) => {
        const p = `${s.provider.format}:${s.provider.cluster}${s.provider.path}`;
        return [{ labels: [p, 'exported'], value: s.exported }, { labels: [p, 'dropped'], value: s.dropped }];
      }),
    });
  }

  /** Spans exported / dropped per provider (admin stats). */
  stats(): { provider: TraceProvider; exported: number; dropped: number; failedPosts: number }[] {
    return [...this.exporters.values()].map((e) => ({ provider: e.provider, ...e.stats }));
  }
}
