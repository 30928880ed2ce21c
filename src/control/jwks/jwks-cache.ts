// The control plane's JWKS cache: it fetches every RequestAuthentication jwksUri (as istiod does
// by default) so proxies get the keys inlined in their jwt_authn config. Outside translation: the
// cache's content is an input of the snapshot (snapshot.jwks), and a change triggers a push.
//   - a new URI is fetched at once; every known URI is refetched every refreshMs (20 min);
//   - a failed fetch keeps the last good keys; with none, the URI stays absent and translation
//     inlines a key that matches nothing (every token of that issuer fails), then retries with
//     back-off (1 s doubling up to refreshMs);
//   - URIs no policy names any more are forgotten.
import type { Snapshot } from '../model/snapshot.js';

export const DEFAULT_JWKS_REFRESH_MS = 20 * 60_000;
export const DEFAULT_JWKS_TIMEOUT_MS = 5_000;
const MAX_JWKS_BYTES = 1 << 20;

export type JwksFetch = (uri: string, timeoutMs: number) => Promise<string>;

export interface JwksCacheOptions {
  /** Called (not re-entrantly) after the cached keys changed. */
  onChange: () => void;
  log: (msg: string) => void;
  refreshMs?: number;
  retryMinMs?: number;
  fetch?: JwksFetch;
}

interface Entry {
  timeoutMs: number;
  jwks: string | undefined;
  timer: NodeJS.Timeout | null;
  failures: number;
  inFlight: boolean;
}

/** The jwksUri → fetch timeout of every rule that has no inline jwks. */
export function wantedJwksUris(snapshot: Snapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const ra of snapshot.requestAuthentications) {
    for (const rule of ra.spec.jwtRules) {
      if (rule.jwks !== undefined || rule.jwksUri === undefined) continue;
      out.set(rule.jwksUri, Math.min(out.get(rule.jwksUri) ?? Infinity, rule.timeoutMs ?? DEFAULT_JWKS_TIMEOUT_MS));
    }
  }
  return out;
}

/** GET the URI; the body must be a JWKS (JSON object with a "keys" list). Returns it re-serialized. */
export const httpFetchJwks: JwksFetch = async (uri, timeoutMs) => {
  const res = await fetch(uri, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_JWKS_BYTES) throw new Error(`response larger than ${MAX_JWKS_BYTES} bytes`);
  const v = JSON.parse(text) as { keys?: unknown };
  if (!Array.isArray(v.keys)) throw new Error('not a JWKS (no "keys" list)');
  return JSON.stringify({ keys: v.keys });
};

export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private snapshotOfKeys: ReadonlyMap<string, string> = new Map();
  private stopped = false;
  private readonly refreshMs: number;
  private readonly retryMinMs: number;
  private readonly fetchJwks: JwksFetch;

  constructor(private readonly opts: JwksCacheOptions) {
    this.refreshMs = opts.refreshMs ?? DEFAULT_JWKS_REFRESH_MS;
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.fetchJwks = opts.fetch ?? httpFetchJwks;
  }

  /** jwksUri → JWKS text, for the next snapshot. A new Map object after every change. */
  current(): ReadonlyMap<string, string> {
    return this.snapshotOfKeys;
  }

  /** The URIs the config names now: new ones are fetched at once, unused ones forgotten. */
  sync(wanted: ReadonlyMap<string, number>): void {
    if (this.stopped) return;
    let removed = false;
    for (const [uri, e] of this.entries) {
      if (wanted.has(uri)) continue;
      if (e.timer) clearTimeout(e.timer);
      this.entries.delete(uri);
      removed ||= e.jwks !== undefined;
    }
    for (const [uri, timeoutMs] of wanted) {
      const e = this.entries.get(uri);
      if (e) {
        e.timeoutMs = timeoutMs;
        continue;
      }
      this.entries.set(uri, { timeoutMs, jwks: undefined, timer: null, failures: 0, inFlight: false });
      void this.refresh(uri);
    }
    if (removed) queueMicrotask(() => this.changed());
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
  }

  private async refresh(uri: string): Promise<void> {
    const e = this.entries.get(uri);
    if (!e || e.inFlight || this.stopped) return;
    e.inFlight = true;
    e.timer = null;
    let next: number;
    try {
      const jwks = await this.fetchJwks(uri, e.timeoutMs);
      e.failures = 0;
      next = this.refreshMs;
      if (this.entries.get(uri) === e && jwks !== e.jwks) {
        e.jwks = jwks;
        this.changed();
      }
    } catch (err) {
      e.failures++;
      next = Math.min(this.refreshMs, this.retryMinMs * 2 ** Math.min(e.failures - 1, 20));
      const kept = e.jwks !== undefined ? 'keeping the last keys fetched' : 'tokens of this issuer fail until it succeeds';
      this.opts.log(`jwks: fetching ${uri} failed (${(err as Error).message}); ${kept}; retry in ${next} ms`);
    } finally {
      e.inFlight = false;
    }
    if (this.stopped || this.entries.get(uri) !== e) return;
    e.timer = setTimeout(() => void this.refresh(uri), next);
    e.timer.unref();
  }

  private changed(): void {
    const m = new Map<string, string>();
    for (const [uri, e] of [...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (e.jwks !== undefined) m.set(uri, e.jwks);
    this.snapshotOfKeys = m;
    this.opts.onChange();
  }
}
