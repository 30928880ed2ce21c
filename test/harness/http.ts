// HTTP helpers for tests: one-shot requests and a keep-alive client, over node:http.
import http from 'node:http';

export interface Resp {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent; timeoutMs?: number } = {}): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function httpGet(url: string, headers?: Record<string, string>): Promise<Resp> {
  return request(url, { headers });
}

export function keepAliveAgent(maxSockets = 8): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/** Sends a request through a sidecar's outbound listener to a mesh host. */
export function viaSidecar(sidecarIp: string, host: string, path: string, opts: { headers?: Record<string, string>; agent?: http.Agent; method?: string; body?: string } = {}): Promise<Resp> {
  return request(`http://${sidecarIp}:15001${path}`, { ...opts, headers: { host, ...(opts.headers ?? {}) } });
}
