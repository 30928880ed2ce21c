// Waiting for an endpoint change to reach every proxy: the control plane's GET /debug/syncz says,
// per proxy, which EDS version it sent and which the proxy ACKed. After a registry change we wait
// until some proxy was sent a new EDS version and every proxy has ACKed what it was sent.

import { request } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';

/** Proxy id -> EDS version last sent (null: none yet). */
export type EdsVersions = Map<string, { sent: string | null; synced: boolean }>;

/** Reads the EDS columns of a syncz body (an array of ProxySync); tolerant of missing fields. */
export function parseEdsVersions(body: unknown): EdsVersions {
  const out: EdsVersions = new Map();
  if (!Array.isArray(body)) return out;
  for (const item of body as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const p = item as { id?: unknown; types?: { eds?: { sentVersion?: unknown; status?: unknown } } };
    if (typeof p.id !== 'string') continue;
    const eds = p.types?.eds;
    const sent = typeof eds?.sentVersion === 'string' ? eds.sentVersion : null;
    // NOT_SENT: the proxy has no EDS subscription yet; nothing to wait for.
    out.set(p.id, { sent, synced: eds?.status === 'SYNCED' || eds?.status === 'NOT_SENT' });
  }
  return out;
}

/** True once the change was pushed (some version moved) and every proxy ACKed its EDS. */
export function edsSettled(before: EdsVersions, now: EdsVersions): boolean {
  let changed = false;
  for (const [id, v] of now) {
    if (!v.synced) return false;
    if (before.get(id)?.sent !== v.sent) changed = true;
  }
  return changed;
}

export function fetchEdsVersions(baseUrl: string, timeoutMs = 1_000): Promise<EdsVersions> {
  return new Promise((resolve) => {
    const req = request(`${baseUrl}/debug/syncz`, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(parseEdsVersions(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown));
        } catch {
          resolve(new Map());
        }
      });
      res.on('error', () => resolve(new Map()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(new Map()));
    req.end();
  });
}

/**
 * Polls syncz until edsSettled(before, now) or timeoutMs; true if it settled. Never throws: a
 * control plane that cannot be asked only costs the timeout.
 */
export async function waitEdsSettled(
  fetchNow: () => Promise<EdsVersions>,
  before: EdsVersions,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (edsSettled(before, await fetchNow())) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await delay(Math.min(intervalMs, left));
  }
}
