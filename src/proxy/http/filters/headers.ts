// Header mutations on a flat [name, value, ...] list (names lower-case), as Envoy applies
// request/response_headers_to_remove and _to_add: removals first, then additions in order;
// OVERWRITE_IF_EXISTS_OR_ADD replaces every earlier value, APPEND_IF_EXISTS_OR_ADD adds one more.
import type { HeaderMutation, HeaderOps } from './types.js';

export function applyHeaderOps(headers: readonly string[], ops: HeaderOps | null): readonly string[] {
  if (!ops) return headers;
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (ops.remove.includes(name)) continue;
    out.push(name, headers[i + 1]!);
  }
  for (const a of ops.add) {
    if (a.overwrite) {
      for (let i = out.length - 2; i >= 0; i -= 2) if (out[i] === a.name) out.splice(i, 2);
    }
    out.push(a.name, a.value);
  }
  return out;
}

/** The picked cluster's mutation first, then the route's (so the route's wins on overwrite). */
export function mutateHeaders(
  headers: readonly string[],
  dir: 'request' | 'response',
  route: HeaderMutation,
  cluster: HeaderMutation | undefined,
): readonly string[] {
  return applyHeaderOps(applyHeaderOps(headers, cluster ? cluster[dir] : null), route[dir]);
}
