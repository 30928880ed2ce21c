// A closed-loop HTTP/1.1 load: `conns` keep-alive connections, each sending its next request as
// soon as the previous answer arrived, for `durationMs`. Used by the scenario scripts
// (./mtls.ts, ./telemetry.ts) against a client sidecar's outbound listener.
import http from 'node:http';
import { percentile } from './percentiles.js';

export interface ClosedLoopResult {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /** Successful (200) requests. */
  requests: number;
}

export async function closedLoop(target: { host: string; port: number; hostHeader: string }, durationMs: number, conns: number): Promise<ClosedLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const lat: number[] = [];
  let failed = 0;
  const end = Date.now() + durationMs;
  const started = Date.now();
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.request({ host: target.host, port: target.port, path: '/', headers: { host: target.hostHeader }, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) lat.push(performance.now() - t0);
          else failed++;
          resolve();
        });
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (Date.now() < end) await one();
    }),
  );
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { rps: lat.length / ((Date.now() - started) / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99), failed, requests: lat.length };
}
