// One request's pass through the route's HTTP filters, in Istio's filter order: CORS (preflight
// answered here), fault (delay, then abort), then the router's local answers (redirect,
// direct_response). The Exchange asks for the next step, waits out a delay, and applies the
// header mutations and mirrors when it forwards.
import type { Route } from '../../config/types.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import type { RequestView } from '../../router/select.js';
import { allowedOrigin, corsResponseHeaders, isPreflight, preflightHeaders } from './cors.js';
import { rollAbort, rollDelay } from './fault.js';
import { mutateHeaders } from './headers.js';
import { faultAbortReply, localActionReply, serializeReply, type RouteReply } from './local-reply.js';
import { RequestMirror } from './mirror.js';
import type { RouteFilters } from './types.js';

export type FilterStep = { kind: 'continue' } | { kind: 'delay'; ms: number } | { kind: 'reply'; reply: RouteReply };

const CONTINUE: FilterStep = { kind: 'continue' };

export class RouteFilterRun {
  /** The allowed CORS origin of this request, if any. */
  private readonly origin: string | undefined;
  /** "DI" once a delay was injected. */
  delayed = false;

  constructor(
    private readonly f: RouteFilters,
    private readonly view: RequestView,
    private readonly rand: () => number = Math.random,
  ) {
    this.origin = f.cors ? allowedOrigin(f.cors, view.headers) : undefined;
  }

  static of(route: Route, view: RequestView): RouteFilterRun | null {
    return route.filters ? new RouteFilterRun(route.filters, view) : null;
  }

  /** First step: CORS preflight, then the fault delay draw. */
  decode(): FilterStep {
    const f = this.f;
    if (f.cors && this.origin !== undefined && isPreflight(this.view.method, this.view.headers)) {
      return { kind: 'reply', reply: { status: 200, headers: preflightHeaders(f.cors, this.origin), body: '', flag: '-' } };
    }
    if (f.fault) {
      const ms = rollDelay(f.fault, this.rand);
      if (ms > 0) {
        this.delayed = true;
        return { kind: 'delay', ms };
      }
    }
    return this.afterDelay();
  }

  /** After any delay: the fault abort draw, then redirect / direct response. */
  afterDelay(): FilterStep {
    const f = this.f;
    const abort = f.fault ? rollAbort(f.fault, this.rand) : null;
    if (abort) return { kind: 'reply', reply: faultAbortReply(abort.status, abort.grpcStatus) };
    const v = this.view;
    if (f.local) return { kind: 'reply', reply: this.withResponseHeaders(localActionReply(f.local, v.authority, v.path, v.query)) };
    return CONTINUE;
  }

  /** Flags for telemetry: DI and/or FI. */
  flagsFor(reply: RouteReply | null): string {
    const parts: string[] = [];
    if (this.delayed) parts.push('DI');
    if (reply && reply.flag !== '-') parts.push(reply.flag);
    return parts.length === 0 ? '-' : parts.join(',');
  }

  requestHeaders(cluster: string, headers: readonly string[]): readonly string[] {
    return mutateHeaders(headers, 'request', this.f.headers, this.f.perCluster.get(cluster));
  }

  responseHeaders(cluster: string, headers: readonly string[]): readonly string[] {
    const h = mutateHeaders(headers, 'response', this.f.headers, this.f.perCluster.get(cluster));
    return this.f.cors && this.origin !== undefined ? corsResponseHeaders(this.f.cors, this.origin, h) : h;
  }

  /**
   * Mirrors for this request, given the head built for the upstream; body chunks that arrived
   * before (during a fault delay) are copied, and the copies go out now if the body is complete.
   */
  mirror(clusters: ClusterManager, head: string, contentLength: number, arrived: readonly Buffer[] | null, ended: boolean): RequestMirror | null {
    if (this.f.mirrors.length === 0) return null;
    const m = RequestMirror.start(clusters, this.f.mirrors, this.view.method, head, contentLength, this.rand);
    for (const b of arrived ?? []) m?.data(b);
    if (ended) m?.end();
    return m;
  }

  /** Writes a local answer; returns its status. */
  writeReply(down: { write(data: Buffer): boolean }, r: RouteReply, keepAlive: boolean, head: boolean): number {
    down.write(serializeReply(r, keepAlive, head));
    return r.status;
  }

  private withResponseHeaders(r: RouteReply): RouteReply {
    const h = this.responseHeaders('', []);
    let extra = '';
    for (let i = 0; i < h.length; i += 2) extra += `${h[i]}: ${h[i + 1]}\r\n`;
    return extra === '' ? r : { ...r, headers: r.headers + extra };
  }
}
