// The CA's operator endpoints on the control plane's HTTP port (15014), plugged into the debug
// server's fallback: GET /debug/ca (roots, signing certificate, no keys) and
// POST /debug/ca/rotate-root?overlap=SECONDS (used by `weft ca rotate-root`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CertificateAuthority } from './certificate-authority.js';

export const DEFAULT_OVERLAP_SECONDS = 3600;
const MAX_OVERLAP_SECONDS = 365 * 24 * 3600;

function reply(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Returns true when it handled the request. */
export function caHttpHandler(ca: CertificateAuthority): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://control-plane');
    const path = url.pathname.replace(/\/$/, '');
    if (path === '/debug/ca') {
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') reply(res, 405, { error: `method ${req.method ?? '?'} not allowed on ${path}; use GET` });
      else reply(res, 200, ca.status());
      return true;
    }
    if (path === '/debug/ca/rotate-root') {
      req.resume();
      if (req.method !== 'POST') {
        reply(res, 405, { error: `method ${req.method ?? '?'} not allowed on ${path}; use POST` });
        return true;
      }
      const raw = url.searchParams.get('overlap');
      const overlap = raw === null || raw === '' ? DEFAULT_OVERLAP_SECONDS : Number(raw);
      if (!Number.isFinite(overlap) || overlap < 0 || overlap > MAX_OVERLAP_SECONDS) {
        reply(res, 400, { error: `overlap must be a number of seconds between 0 and ${MAX_OVERLAP_SECONDS}, got "${raw ?? ''}"` });
        return true;
      }
      ca.rotateRoot(overlap * 1000).then(
        (status) => reply(res, 200, status),
        (err: unknown) => reply(res, 409, { error: err instanceof Error ? err.message : String(err) }),
      );
      return true;
    }
    return false;
  };
}
