// Istio durations ("1.5s", "100ms", "2m", "1h", "500us", also Go-style "1h30m") to milliseconds.

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };

const NS_PER_UNIT: Readonly<Record<string, number>> = {
  h: 3_600_000_000_000,
  m: 60_000_000_000,
  s: 1_000_000_000,
  ms: 1_000_000,
  us: 1_000,
  'µs': 1_000,
  'μs': 1_000,
  ns: 1,
};
const UNIT_LIST = 'h, m, s, ms, us, ns';
/** protobuf Duration's largest value: 10,000 years. */
const MAX_SECONDS = 315_576_000_000;
const PART = /^(\d+(?:\.\d*)?|\.\d+)([a-zµμ]*)/i;
const EXAMPLE = 'a duration like "1.5s", "100ms" or "2m"';

export function parseDuration(text: string): DurationResult {
  const s = text.trim();
  if (s === '') return fail(`expected ${EXAMPLE}, got an empty string`);
  if (s.startsWith('-')) return fail(`expected a non-negative duration, got "${text}"`);
  let rest = s.startsWith('+') ? s.slice(1) : s;
  let ns = 0;
  while (rest !== '') {
    const m = PART.exec(rest);
    if (!m) return fail(`expected ${EXAMPLE}, got "${text}"`);
    const [whole, num = '', unit = ''] = m;
    if (unit === '') return fail(`missing unit in "${text}": expected one of ${UNIT_LIST} (e.g. "${num}s")`);
    const perUnit = NS_PER_UNIT[unit];
    if (perUnit === undefined) {
      const hint = unit === 'd' ? ' (use hours: "24h")' : '';
      return fail(`unknown unit "${unit}" in "${text}": expected one of ${UNIT_LIST}${hint}`);
    }
    ns += Number(num) * perUnit;
    rest = rest.slice(whole.length);
  }
  if (ns / 1e9 > MAX_SECONDS) return fail(`expected a duration of at most ${MAX_SECONDS}s, got "${text}"`);
  return { ok: true, ms: Math.round(ns) / 1e6 };
}

/** Like parseDuration, but throws an Error with the message on bad input. */
export function durationMs(text: string): number {
  const r = parseDuration(text);
  if (!r.ok) throw new Error(r.error);
  return r.ms;
}

/** The shortest Istio form for a millisecond count: 1500 → "1.5s", 250 → "250ms", 0.5 → "500us". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms >= 1000) return `${trim(ms / 1000)}s`;
  if (ms >= 1) return `${trim(ms)}ms`;
  return `${trim(ms * 1000)}us`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(6)));
}

function fail(error: string): DurationResult {
  return { ok: false, error };
}
