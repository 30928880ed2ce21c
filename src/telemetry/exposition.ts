// Text exposition format 0.0.4 primitives: escaping and number formatting.
// https://prometheus.io/docs/instrumenting/exposition_formats/

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NEEDS_LABEL_ESCAPE = /[\\"\n]/;
const NEEDS_HELP_ESCAPE = /[\\\n]/;

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  if (!NEEDS_LABEL_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed (quotes stay as they are). */
export function escapeHelp(v: string): string {
  if (!NEEDS_HELP_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value or `le` bound as Prometheus parses it (Go ParseFloat syntax). */
export function formatValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return 'NaN';
}
