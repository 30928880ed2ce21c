// HTTP/1.1 through a running sidecar, on raw sockets: strict parsing rejects smuggling-shaped
// requests with 400 and closes, oversized heads get 431, and the good paths (keep-alive,
// chunked streaming, HEAD, 100-continue, hop-by-hop removal, a 100 MB upload) work.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import { startScenario, type Scenario } from './harness/scenario.js';
import { stopAll, waitFor } from './harness/processes.js';
import { allSynced } from './harness/config.js';
import { httpGet } from './harness/http.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const HOST = 'reviews.default.svc.cluster.local';

/** Sends raw bytes, returns everything received until the server closes (or timeout). */
function raw(ip: string, port: number, data: string | Buffer, timeoutMs = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: ip, port });
    let text = '';
    let closed = false;
    const t = setTimeout(() => {
      sock.destroy();
      resolve({ text, closed });
    }, timeoutMs);
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('close', () => {
      closed = true;
      clearTimeout(t);
      resolve({ text, closed });
    });
    sock.on('error', () => undefined);
    sock.write(data);
  });
}

function statusOf(text: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return m ? Number(m[1]) : 0;
}

function countResponses(text: string): number {
  return (text.match(/HTTP\/1\.1 \d{3}/g) ?? []).length;
}

describe('HTTP/1.1 through the proxy', { timeout: 240_000 }, () => {
  let s: Scenario;
  let ip: string;
  before(async () => {
    s = await startScenario({ subnet: '127.0.12', xdsPort: 25310, httpPort: 25314 });
    ip = s.client.ip;
    await waitFor('synced', () => allSynced(s.cp.http, 3));
  });
  after(() => stopAll());

  const rejects: [string, string, number][] = [
    ['both Content-Length and Transfer-Encoding', `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
    ['differing duplicate Content-Length', `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, 400],
    ['bare LF line endings', `GET / HTTP/1.1\nHost: ${HOST}\n\n`, 400],
    ['invalid chunk size', `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`, 400],
    ['header name with a space', `GET / HTTP/1.1\r\nHost: ${HOST}\r\nBad Header: x\r\n\r\n`, 400],
    ['space before the colon', `GET / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length : 0\r\n\r\n`, 400],
    ['NUL in a header value', `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-A: a\u0000b\r\n\r\n`, 400],
    ['obsolete line folding', `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-A: a\r\n b\r\n\r\n`, 400],
    ['HTTP/1.1 without Host', `GET / HTTP/1.1\r\n\r\n`, 400],
    ['Transfer-Encoding other than chunked', `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: gzip\r\n\r\n`, 501],
  ];

  for (const [name, req, status] of rejects) {
    it(`rejects ${name} with ${status} and closes without forwarding`, async () => {
      const r = await raw(ip, 15001, req);
      assert.equal(statusOf(r.text), status, r.text);
      assert.ok(r.closed, 'connection must be closed');
      assert.ok(!r.text.includes('reviews-v'), 'request must not reach the upstream');
    });
  }

  it('counts rejected requests in istio_requests_total with flag DPE', async () => {
    const m = parseExposition((await httpGet(`http://${s.client.admin}/stats/prometheus`)).body);
    const bad = findSamples(m, 'istio_requests_total', { reporter: 'source', response_flags: 'DPE', response_code: '400' });
    assert.ok((bad[0]?.value ?? 0) >= 8, JSON.stringify(bad));
  });

  it('refuses an https:// absolute-form target rather than sending it in clear', async () => {
    const r = await raw(ip, 15001, `GET https://${HOST}/secret HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    assert.equal(statusOf(r.text), 400, r.text);
    assert.ok(!r.text.includes('reviews-v'));
  });

  it('a smuggled second request after a CL/TE conflict is never forwarded', async () => {
    const req = `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
    const r = await raw(ip, 15001, req);
    assert.equal(countResponses(r.text), 1, r.text);
    assert.ok(!r.text.includes('smuggled'));
  });

  it('answers 431 for more than 60 KiB of headers or more than 100 headers', async () => {
    const big = `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${'a'.repeat(62 * 1024)}\r\n\r\n`;
    assert.equal(statusOf((await raw(ip, 15001, big)).text), 431);
    let many = `GET / HTTP/1.1\r\nHost: ${HOST}\r\n`;
    for (let i = 0; i < 101; i++) many += `X-H${i}: v\r\n`;
    assert.equal(statusOf((await raw(ip, 15001, `${many}\r\n`)).text), 431);
  });

  it('keeps connections alive and answers pipelined requests in order', async () => {
    const one = (p: string): string => `GET ${p} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
    const r = await raw(ip, 15001, one('/a') + one('/b') + `GET /c HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`, 5000);
    assert.equal(countResponses(r.text), 3, r.text);
    const paths = [...r.text.matchAll(/"path":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(paths, ['/a', '/b', '/c']);
    assert.ok(r.closed, 'Connection: close ends the connection after the response');
  });

  it('streams a chunked request body and removes hop-by-hop headers', async () => {
    const req = `POST /up HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nConnection: close, x-drop-me\r\nX-Drop-Me: 1\r\nKeep-Alive: timeout=5\r\nX-Keep: yes\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`;
    const r = await raw(ip, 15001, req);
    assert.equal(statusOf(r.text), 200, r.text);
    // The upstream may answer chunked; the JSON document sits between the first '{' and last '}'.
    const body = JSON.parse(r.text.slice(r.text.indexOf('{'), r.text.lastIndexOf('}') + 1)) as { bodyBytes: number; headers: Record<string, string> };
    assert.equal(body.bodyBytes, 11);
    assert.equal(body.headers['x-keep'], 'yes');
    assert.equal(body.headers['x-drop-me'], undefined);
    assert.equal(body.headers['keep-alive'], undefined);
    assert.match(body.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  });

  it('answers HEAD without a body and keeps the connection usable', async () => {
    const req = `HEAD /h HTTP/1.1\r\nHost: ${HOST}\r\n\r\nGET /after-head HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;
    const r = await raw(ip, 15001, req, 5000);
    assert.equal(countResponses(r.text), 2, r.text);
    assert.ok(r.text.includes('/after-head'));
    assert.ok(!r.text.includes('"path":"/h"'), 'HEAD response has no body');
  });

  it('sends 100 Continue for Expect: 100-continue and then the response', async () => {
    const sock = net.connect({ host: ip, port: 15001 });
    let text = '';
    sock.on('data', (d) => (text += d.toString()));
    sock.write(`POST /c HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
    await waitFor('100 Continue', () => text.startsWith('HTTP/1.1 100 Continue'), 5000);
    sock.write('data');
    await waitFor('final response', () => /HTTP\/1\.1 200/.test(text), 5000);
    sock.destroy();
    assert.match(text, /"bodyBytes":4/);
  });

  it('passes a 100 MB upload with flat proxy memory', async () => {
    const pid = s.client.child.pid!;
    const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    const before = rss();
    const total = 100 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: ip, port: 15001, method: 'POST', path: '/upload', headers: { host: HOST, 'content-length': String(total) } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    assert.equal(result.status, 200);
    assert.equal((JSON.parse(result.body) as { bodyBytes: number }).bodyBytes, total);
    const growth = rss() - before;
    assert.ok(growth < 40 * 1024 * 1024, `proxy RSS grew by ${(growth / 1048576).toFixed(1)} MB during a 100 MB upload`);
  });
});
