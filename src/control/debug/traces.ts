// The control plane as a small trace collector on its HTTP port (15014): proxies (or anything)
// POST OTLP/HTTP JSON to /v1/traces; the last MAX_TRACES traces are kept in memory and served as
// JSON by GET /debug/traces (newest first, a summary each) and GET /debug/traces/<traceId>.
// Plugged into the debug server's fallback, like the CA's endpoints.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_TRACES = 200;
const MAX_SPANS_PER_TRACE = 1000;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  service: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, string>;
  error: boolean;
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function attrValue(v: unknown): string {
  if (!isObj(v)) return '';
  for (const k of ['stringValue', 'intValue', 'doubleValue', 'boolValue']) if (v[k] !== undefined) return String(v[k]);
  return JSON.stringify(v);
}

function attrs(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list(v)) if (isObj(a) && typeof a.key === 'string') out[a.key] = attrValue(a.value);
  return out;
}

/** The spans of an OTLP JSON ExportTraceServiceRequest; throws on a body that is not one. */
export function parseOtlpJson(body: string): StoredSpan[] {
  const req: unknown = JSON.parse(body);
  if (!isObj(req) || !Array.isArray(req.resourceSpans)) throw new Error('expected an OTLP JSON ExportTraceServiceRequest (resourceSpans)');
  const out: StoredSpan[] = [];
  for (const rs of req.resourceSpans) {
    if (!isObj(rs)) continue;
    const service = (isObj(rs.resource) ? attrs(rs.resource.attributes)['service.name'] : undefined) ?? '';
    for (const ss of list(rs.scopeSpans)) {
      if (!isObj(ss)) continue;
      for (const s of list(ss.spans)) {
        if (!isObj(s) || !/^[0-9a-f]{32}$/.test(text(s.traceId)) || !/^[0-9a-f]{16}$/.test(text(s.spanId))) continue;
        const parent = text(s.parentSpanId);
        out.push({
          traceId: text(s.traceId),
          spanId: text(s.spanId),
          ...(parent ? { parentSpanId: parent } : {}),
          name: text(s.name),
          kind: typeof s.kind === 'number' ? (KINDS[s.kind] ?? 'UNSPECIFIED') : text(s.kind).replace(/^SPAN_KIND_/, '') || 'UNSPECIFIED',
          service,
          startTimeUnixNano: text(s.startTimeUnixNano),
          endTimeUnixNano: text(s.endTimeUnixNano),
          attributes: attrs(s.attributes),
          error: isObj(s.status) && (s.status.code === 2 || s.status.code === 'STATUS_CODE_ERROR'),
        });
      }
    }
  }
  return out;
}

/** The last MAX_TRACES traces by first arrival; a trace seen again keeps its place. */
export class TraceStore {
  private readonly traces = new Map<string, StoredSpan[]>();

  constructor(private readonly max = MAX_TRACES) {}

  add(spans: readonly StoredSpan[]): void {
    for (const s of spans) {
      let t = this.traces.get(s.traceId);
      if (!t) {
        this.traces.set(s.traceId, (t = []));
        if (this.traces.size > this.max) this.traces.delete(this.traces.keys().next().value!);
      }
      if (t.length < MAX_SPANS_PER_TRACE) t.push(s);
    }
  }

  summaries(): { traceId: string; spans: number; services: string[]; root: string; startTimeUnixNano: string }[] {
    return [...this.traces].reverse().map(([traceId, spans]) => {
      const sorted = sortSpans(spans);
      const root = sorted.find((s) => !s.parentSpanId || !spans.some((p) => p.spanId === s.parentSpanId)) ?? sorted[0];
      return { traceId, spans: spans.length, services: [...new Set(spans.map((s) => s.service))].sort(), root: root?.name ?? '', startTimeUnixNano: sorted[0]?.startTimeUnixNano ?? '' };
    });
  }

  get(traceId: string): StoredSpan[] | undefined {
    const t = this.traces.get(traceId);
    return t ? sortSpans(t) : undefined;
  }
}

function sortSpans(spans: readonly StoredSpan[]): StoredSpan[] {
  return [...spans].sort((a, b) => (BigInt(a.startTimeUnixNano || '0') < BigInt(b.startTimeUnixNano || '0') ? -1 : 1));
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' });
  res.end(body);
}

/** Returns true when it handled the request. */
export function tracesHttpHandler(store: TraceStore): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://control-plane').pathname.replace(/\/$/, '');
    if (path === '/v1/traces') {
      if (req.method !== 'POST') {
        req.resume();
        reply(res, 405, { error: `method ${req.method ?? '?'} not allowed on ${path}; use POST` });
        return true;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY_BYTES) chunks.push(c);
      });
      req.on('end', () => {
        if (size > MAX_BODY_BYTES) return reply(res, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
        try {
          store.add(parseOtlpJson(Buffer.concat(chunks).toString('utf8')));
          reply(res, 200, {});
        } catch (err) {
          reply(res, 400, { error: err instanceof Error ? err.message : String(err) });
        }
      });
      return true;
    }
    if (path !== '/debug/traces' && !path.startsWith('/debug/traces/')) return false;
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, { error: `method ${req.method ?? '?'} not allowed on ${path}; use GET` });
      return true;
    }
    if (path === '/debug/traces') {
      reply(res, 200, { traces: store.summaries() });
      return true;
    }
    const id = path.slice('/debug/traces/'.length).toLowerCase();
    const spans = store.get(id);
    if (spans) reply(res, 200, { traceId: id, spans });
    else reply(res, 404, { error: `no trace ${id} (the last ${MAX_TRACES} traces are kept)` });
    return true;
  };
}
