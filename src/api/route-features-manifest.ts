// Route features of a validated HTTPRoute back in Istio's YAML spelling (for toManifest):
// durations as strings, percentages as {value}, mirrors as the `mirrors` list, body as {string}.
import { formatDuration } from './duration.js';
import type { HTTPRoute } from './types.js';

const pct = (value: number): { value: number } => ({ value });

/** Rewrites, in `out` (a shallow copy of the route), the feature fields whose model differs from YAML. */
export function routeFeaturesManifest(route: HTTPRoute, out: Record<string, unknown>): void {
  const { fault, mirrors, directResponse, corsPolicy } = route;
  if (route.route.length === 0 && (route.redirect || directResponse)) delete out.route;
  if (fault) {
    const f: Record<string, unknown> = {};
    if (fault.delay) f.delay = { fixedDelay: formatDuration(fault.delay.fixedDelayMs), percentage: pct(fault.delay.percentage) };
    if (fault.abort) f.abort = { ...fault.abort, percentage: pct(fault.abort.percentage) };
    out.fault = f;
  }
  if (mirrors) {
    out.mirrors = mirrors.map((m) => (m.percentage === undefined ? { destination: m.destination } : { destination: m.destination, percentage: pct(m.percentage) }));
  }
  if (directResponse) {
    out.directResponse = directResponse.body === undefined ? { status: directResponse.status } : { status: directResponse.status, body: { string: directResponse.body } };
  }
  if (corsPolicy) {
    const { maxAgeMs, ...rest } = corsPolicy;
    out.corsPolicy = maxAgeMs === undefined ? rest : { ...rest, maxAge: formatDuration(maxAgeMs) };
  }
}
