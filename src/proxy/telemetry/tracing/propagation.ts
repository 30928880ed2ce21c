// Trace context on the wire: W3C Trace Context (`traceparent`, `tracestate`), Zipkin B3 (the
// multi-header `x-b3-*` form and the single `b3` header) and `x-request-id`. Parsing is strict:
// a malformed header is ignored (as if absent), never an error, so a bad client cannot break a
// request. Pure apart from fresh ids (./ids.ts).
import { newSpanId, newTraceId } from './ids.js';

/** What an incoming request carried. `traceId` absent: no usable parent (a sampling-only `b3: 0` may still set `sampled`). */
export interface IncomingTrace {
  traceId?: string; // 32 lowercase hex
  parentSpanId?: string; // 16 lowercase hex: the caller's span, our span's parent
  /** The caller's sampling decision; undefined: none made (we decide). */
  sampled?: boolean;
  tracestate?: string;
}

/** The span this hop records: its ids and the decision; sent upstream as the child's parent. */
export interface SpanContext {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  sampled: boolean;
  tracestate?: string;
}

/** Headers this module reads and rewrites; the proxy drops incoming copies and sends its own. */
export const TRACE_HEADERS: ReadonlySet<string> = new Set([
  'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags',
]);

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

function traceIdOf(v: string): string | undefined {
  const s = v.toLowerCase();
  const id = s.length === 16 ? ZERO16 + s : s; // B3 allows 64-bit trace ids: left-pad to 128
  return HEX32.test(id) && id !== ZERO32 ? id : undefined;
}

function spanIdOf(v: string): string | undefined {
  const s = v.toLowerCase();
  return HEX16.test(s) && s !== ZERO16 ? s : undefined;
}

/** Lowercase hex digits only, in s[from, to). */
function isLowerHex(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** Only '0' in s[from, to). */
function allZero(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

/** W3C traceparent: `version-traceid-parentid-flags`; version ff is invalid; future versions may append fields. */
export function parseTraceparent(v: string): IncomingTrace | null {
  // Fast path, no allocation but the result: version 00 in its fixed 55-character layout.
  if (v.length === 55 && v.charCodeAt(0) === 48 && v.charCodeAt(1) === 48 && v[2] === '-' && v[35] === '-' && v[52] === '-') {
    if (!isLowerHex(v, 3, 35) || !isLowerHex(v, 36, 52) || !isLowerHex(v, 53, 55)) return null;
    if (allZero(v, 3, 35) || allZero(v, 36, 52)) return null;
    return { traceId: v.slice(3, 35), parentSpanId: v.slice(36, 52), sampled: (parseInt(v.slice(53, 55), 16) & 1) === 1 };
  }
  const parts = v.trim().split('-');
  if (parts.length < 4) return null;
  const [ver, tid, pid, flags] = parts as [string, string, string, string];
  if (!/^[0-9a-f]{2}$/.test(ver) || ver === 'ff') return null;
  if (ver === '00' && parts.length !== 4) return null;
  if (!/^[0-9a-f]{2}$/.test(flags)) return null;
  if (!HEX32.test(tid) || tid === ZERO32 || !HEX16.test(pid) || pid === ZERO16) return null;
  return { traceId: tid, parentSpanId: pid, sampled: (parseInt(flags, 16) & 1) === 1 };
}

function b3Sampled(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (s === '1' || s === 'true' || s === 'd') return true;
  if (s === '0' || s === 'false') return false;
  return undefined;
}

/** B3 single header: `{traceid}-{spanid}[-{sampled}[-{parentspanid}]]` or just the decision `0`, `1`, `d`. */
export function parseB3Single(v: string): IncomingTrace | null {
  const parts = v.trim().split('-');
  if (parts.length === 1) {
    const sampled = b3Sampled(parts[0]);
    return sampled === undefined ? null : { sampled };
  }
  if (parts.length > 4) return null;
  const traceId = traceIdOf(parts[0]!);
  const parentSpanId = spanIdOf(parts[1]!);
  if (!traceId || !parentSpanId) return null;
  if (parts[2] !== undefined && b3Sampled(parts[2]) === undefined) return null;
  if (parts[3] !== undefined && !spanIdOf(parts[3])) return null;
  const sampled = b3Sampled(parts[2]);
  return sampled === undefined ? { traceId, parentSpanId } : { traceId, parentSpanId, sampled };
}

/** B3 multi-header from a header lookup. */
export function parseB3Multi(get: (name: string) => string | undefined): IncomingTrace | null {
  const flags = get('x-b3-flags');
  const sampled = flags === '1' ? true : b3Sampled(get('x-b3-sampled'));
  const tid = get('x-b3-traceid');
  const sid = get('x-b3-spanid');
  if (tid === undefined && sid === undefined) return sampled === undefined ? null : { sampled };
  const traceId = tid === undefined ? undefined : traceIdOf(tid.trim());
  const parentSpanId = sid === undefined ? undefined : spanIdOf(sid.trim());
  if (!traceId || !parentSpanId) return sampled === undefined ? null : { sampled };
  return sampled === undefined ? { traceId, parentSpanId } : { traceId, parentSpanId, sampled };
}

/** Reads a request's trace context from flat [name, value, ...] headers (names lowercase): traceparent, then b3, then x-b3-*. */
export function readIncoming(headers: readonly string[]): IncomingTrace {
  // One pass, the first value of each trace header; no allocation when there are none.
  let tp: string | undefined;
  let ts: string | undefined;
  let single: string | undefined;
  let multi: Record<string, string> | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const n = headers[i]!;
    const c = n.charCodeAt(0);
    if (c !== 116 && c !== 98 && c !== 120) continue; // t, b, x
    if (!TRACE_HEADERS.has(n)) continue;
    const value = headers[i + 1]!;
    if (n === 'traceparent') tp ??= value;
    else if (n === 'tracestate') ts ??= value;
    else if (n === 'b3') single ??= value;
    else {
      multi ??= {};
      multi[n] ??= value;
    }
  }
  if (tp === undefined && ts === undefined && single === undefined && multi === undefined) return {};
  const w3c = tp === undefined ? null : parseTraceparent(tp);
  if (w3c) return ts ? { ...w3c, tracestate: ts } : w3c;
  const b3 = single === undefined ? null : parseB3Single(single);
  if (b3) return b3;
  const m = multi;
  return m === undefined ? {} : (parseB3Multi((n) => m[n]) ?? {});
}

export { newSpanId, newTraceId };

/** This hop's span: a child of the caller's span in the caller's trace, or the root of a new trace. */
export function childOf(incoming: IncomingTrace, sampled: boolean): SpanContext {
  const c: SpanContext = { traceId: incoming.traceId ?? newTraceId(), spanId: newSpanId(), sampled };
  if (incoming.traceId && incoming.parentSpanId) c.parentSpanId = incoming.parentSpanId;
  if (incoming.tracestate) c.tracestate = incoming.tracestate;
  return c;
}

/** The header lines (h1 wire form) that carry `span` upstream as the parent of the next hop: W3C and B3 multi. */
export function outgoingHeaderLines(span: SpanContext): string {
  const flag = span.sampled ? '1' : '0';
  let s = `traceparent: 00-${span.traceId}-${span.spanId}-0${flag}\r\n`;
  if (span.tracestate) s += `tracestate: ${span.tracestate}\r\n`;
  s += `x-b3-traceid: ${span.traceId}\r\nx-b3-spanid: ${span.spanId}\r\n`;
  if (span.parentSpanId) s += `x-b3-parentspanid: ${span.parentSpanId}\r\n`;
  s += `x-b3-sampled: ${flag}\r\n`;
  return s;
}
