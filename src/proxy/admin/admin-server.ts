// The proxy's admin HTTP server (15000) and metrics port (15090): /ready, /config_dump,
// /stats/prometheus, /clusters, /listeners, /certs. Not on the request path; node:http is fine here.
import http from 'node:http';

export interface AdminBackend {
  ready(): { ok: boolean; reason: string };
  configDump(): unknown;
  prometheus(): string;
  clusters(): unknown;
  listeners(): unknown;
  drain(): void;
  drainStatus(): unknown;
  /** Workload certificate and trust bundle summaries (no keys); undefined without identity. */
  certs?(): unknown;
}

export function startAdminServer(host: string, port: number, b: AdminBackend, full: boolean): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const json = (v: unknown): void => send(200, 'application/json', `${JSON.stringify(v, null, 2)}\n`);
    try {
      if (url.pathname === '/stats/prometheus' || url.pathname === '/metrics') {
        send(200, 'text/plain; version=0.0.4; charset=utf-8', b.prometheus());
        return;
      }
      if (!full) {
        send(404, 'text/plain', 'not found\n');
        return;
      }
      switch (url.pathname) {
        case '/ready':
        case '/healthz/ready': {
          const r = b.ready();
          send(r.ok ? 200 : 503, 'text/plain', r.ok ? 'LIVE\n' : `${r.reason}\n`);
          return;
        }
        case '/config_dump':
          json(b.configDump());
          return;
        case '/clusters':
          json(b.clusters());
          return;
        case '/listeners':
          json(b.listeners());
          return;
        case '/certs':
          json(b.certs?.() ?? { identity: null });
          return;
        case '/drain_status':
          json(b.drainStatus());
          return;
        case '/drain_listeners':
          if (req.method !== 'POST') {
            send(405, 'text/plain', 'use POST\n');
            return;
          }
          b.drain();
          send(200, 'text/plain', 'OK\n');
          return;
        default:
          send(404, 'text/plain', 'not found\n');
      }
    } catch (err) {
      send(500, 'text/plain', `${err instanceof Error ? err.message : String(err)}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
