import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpFetchJwks, JwksCache, type JwksFetch } from './jwks-cache.js';

const K1 = '{"keys":[{"kty":"EC","kid":"1"}]}';
const K2 = '{"keys":[{"kty":"EC","kid":"2"}]}';

function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

test('jwks-cache: fetches new URIs, refreshes, keeps last good keys on failure, forgets unused URIs', async () => {
  const answers: Record<string, (string | Error)[]> = { 'http://a/': [K1, new Error('down'), K2], 'http://b/': [new Error('refused'), K1] };
  const calls: string[] = [];
  const fetch: JwksFetch = (uri) => {
    calls.push(uri);
    const list = answers[uri] ?? [];
    const next = list.length > 1 ? list.shift()! : list[0]!;
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  let changes = 0;
  const logs: string[] = [];
  const cache = new JwksCache({ fetch, refreshMs: 40, retryMinMs: 5, onChange: () => changes++, log: (m) => logs.push(m) });
  try {
    cache.sync(new Map([['http://a/', 1000], ['http://b/', 1000]]));
    await waitFor(() => cache.current().get('http://a/') === K1, 'first keys of a');
    // b failed first: absent (translation inlines the unreachable key), then retried soon.
    assert.ok(logs.some((l) => l.includes('http://b/') && l.includes('tokens of this issuer fail')));
    await waitFor(() => cache.current().get('http://b/') === K1, 'b after retry');
    // a's refresh fails once (last good kept), then brings K2.
    await waitFor(() => logs.some((l) => l.includes('http://a/') && l.includes('keeping the last keys')), 'a refresh failure');
    assert.equal(cache.current().get('http://a/'), K1);
    await waitFor(() => cache.current().get('http://a/') === K2, 'a refreshed to K2');
    const before = changes;
    cache.sync(new Map([['http://a/', 1000]]));
    await waitFor(() => !cache.current().has('http://b/'), 'b forgotten');
    assert.ok(changes > before);
    assert.ok(calls.filter((c) => c === 'http://a/').length >= 3);
  } finally {
    cache.stop();
  }
});

test('jwks-cache: httpFetchJwks reads a JWKS over HTTP and rejects non-JWKS bodies and errors', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/jwks') res.end(K1);
    else if (req.url === '/html') res.end('<html>');
    else if (req.url === '/nokeys') res.end('{"x":1}');
    else res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.50.250', r));
  const base = `http://127.0.50.250:${(server.address() as AddressInfo).port}`;
  try {
    assert.deepEqual(JSON.parse(await httpFetchJwks(`${base}/jwks`, 5000)), JSON.parse(K1));
    await assert.rejects(httpFetchJwks(`${base}/html`, 5000), SyntaxError);
    await assert.rejects(httpFetchJwks(`${base}/nokeys`, 5000), /not a JWKS/);
    await assert.rejects(httpFetchJwks(`${base}/500`, 5000), /HTTP 500/);
  } finally {
    server.close();
  }
});
