import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { DebugBackend } from './backend.js';
import { createFakeBackend } from './fake-backend.js';
import type { FakeBackend } from './fake-backend.js';
import { MAX_BODY_BYTES, startDebugServer } from './server.js';
import type { DebugServer } from './server.js';

const GOOD_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
    - route:
        - destination: { host: reviews }
`;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Plain node:http request so tests control headers and chunking exactly. */
function call(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer | Buffer[],
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      for (const c of body) req.write(c);
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Raw bytes on a socket, for requests node:http would refuse to send. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    const chunks: Buffer[] = [];
    s.on('data', (c) => {
      chunks.push(c);
      // One response is all we want; the server may keep the socket open.
      if (Buffer.concat(chunks).toString().includes('\r\n\r\n')) setTimeout(() => s.destroy(), 50);
    });
    s.on('close', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
  });
}

describe('debug server', () => {
  // fakeBackend is a test double of the control plane's state (see fake-backend.ts).
  let fakeBackend: FakeBackend;
  let server: DebugServer;
  let port: number;

  before(async () => {
    fakeBackend = createFakeBackend();
    server = await startDebugServer(fakeBackend, { host: '127.0.0.1', port: 0 });
    port = server.address.port;
  });
  after(() => server.close());

  it('reports its bound address', () => {
    assert.equal(server.address.host, '127.0.0.1');
    assert.ok(port > 0);
  });

  it('GET /healthz answers ok', async () => {
    const r = await call(port, 'GET', '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok\n');
  });

  it('GET /metrics serves the Prometheus text format', async () => {
    const r = await call(port, 'GET', '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^weft_fake_pushes_total 3$/m);
  });

  it('HEAD is accepted where GET is, without a body', async () => {
    const r = await call(port, 'HEAD', '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
  });

  it('GET /debug/syncz returns the proxies as a JSON array', async () => {
    const r = await call(port, 'GET', '/debug/syncz');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /application\/json/);
    const list = JSON.parse(r.body) as { id: string; types: { rds: { status: string } } }[];
    assert.equal(list.length, 2);
    assert.equal(list[1]?.types.rds.status, 'NACK');
  });

  it('POST /debug/config/apply applies YAML and names the source from x-weft-source', async () => {
    const r = await call(port, 'POST', '/debug/config/apply', GOOD_VS, { 'x-weft-source': encodeURI('/tmp/my vs.yaml') });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), {
      applied: ['VirtualService/default/reviews'],
      unchanged: [],
      warnings: [],
      errors: [],
    });
    assert.deepEqual(fakeBackend.calls.at(-1), { method: 'apply', source: '/tmp/my vs.yaml' });
    const again = await call(port, 'POST', '/debug/config/apply', GOOD_VS);
    assert.deepEqual((JSON.parse(again.body) as { unchanged: string[] }).unchanged, ['VirtualService/default/reviews']);
    assert.equal(fakeBackend.calls.at(-1)?.source, '<request>');
  });

  it('POST /debug/config/apply answers 400 with the ApplyResult when the YAML has errors', async () => {
    const bad = `${GOOD_VS}---\nkind: VirtualService\nmetadata: {name: broken}\nspec: {hosts: 7}\n`;
    const r = await call(port, 'POST', '/debug/config/apply', bad, { 'x-weft-source': 'bad.yaml' });
    assert.equal(r.status, 400);
    const body = JSON.parse(r.body) as { applied: string[]; errors: string[] };
    assert.deepEqual(body.applied, []);
    assert.match(body.errors[0] ?? '', /^bad\.yaml \(document 2\) VirtualService broken: spec\.hosts:/);
  });

  it('garbage YAML and JSON bodies get 400, not a crash', async () => {
    for (const garbage of ['{{{: ][', '{"kind": ', '- - - :\n\t\t- ]', '"just a string"']) {
      const r = await call(port, 'POST', '/debug/config/apply', garbage);
      assert.equal(r.status, 400, garbage);
      assert.ok((JSON.parse(r.body) as { errors: string[] }).errors.length > 0);
    }
    const r = await call(port, 'POST', '/debug/config/apply', Buffer.from([0xff, 0xfe, 0x00, 0xc3]));
    assert.equal(r.status, 400);
    assert.match(r.body, /not valid UTF-8/);
  });

  it('GET /debug/config filters by kind, namespace and name', async () => {
    const all = JSON.parse((await call(port, 'GET', '/debug/config')).body) as { resources: unknown[] };
    assert.equal(all.resources.length, 1);
    const byKind = await call(port, 'GET', '/debug/config?kind=virtualservice&namespace=default&name=reviews');
    assert.equal(byKind.status, 200);
    assert.equal((JSON.parse(byKind.body) as { resources: unknown[] }).resources.length, 1);
    const none = await call(port, 'GET', '/debug/config?kind=DestinationRule');
    assert.deepEqual(JSON.parse(none.body), { resources: [] });
    const otherNs = await call(port, 'GET', '/debug/config?namespace=prod');
    assert.deepEqual(JSON.parse(otherNs.body), { resources: [] });
  });

  it('GET /debug/config rejects an unknown kind with 400', async () => {
    const r = await call(port, 'GET', '/debug/config?kind=Pod');
    assert.equal(r.status, 400);
    assert.match((JSON.parse(r.body) as { error: string }).error, /unknown kind "Pod"/);
  });

  it('malformed query strings do not crash the server', async () => {
    const r = await call(port, 'GET', '/debug/config?kind=%ZZ&name=%&&=&namespace=%E0%A4%A');
    assert.equal(r.status, 400);
    const ok = await call(port, 'GET', '/debug/config?name=%E2%98%83');
    assert.equal(ok.status, 200);
  });

  it('GET /debug/config_dump returns the dump, 404 for an unknown proxy, 400 without ?proxy', async () => {
    const id = 'sidecar~127.0.1.2~reviews-v1-0.default~default.svc.cluster.local';
    const r = await call(port, 'GET', `/debug/config_dump?proxy=${encodeURIComponent(id)}`);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { node: string }).node, id);
    const missing = await call(port, 'GET', '/debug/config_dump?proxy=nope');
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.body) as { error: string }).error, 'no connected proxy with id "nope"');
    assert.equal((await call(port, 'GET', '/debug/config_dump')).status, 400);
  });

  it('POST /debug/config/delete deletes and reports what was not found', async () => {
    const r = await call(port, 'POST', '/debug/config/delete', GOOD_VS);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { deleted: ['VirtualService/default/reviews'], notFound: [], errors: [] });
    const again = await call(port, 'POST', '/debug/config/delete', GOOD_VS);
    assert.deepEqual((JSON.parse(again.body) as { notFound: string[] }).notFound, ['VirtualService/default/reviews']);
    const bad = await call(port, 'POST', '/debug/config/delete', 'kind: [');
    assert.equal(bad.status, 400);
  });

  it('unknown paths get a 404 JSON error', async () => {
    for (const path of ['/', '/debug', '/debug/nope', '//debug/syncz', '/metrics/../debug/syncz']) {
      const r = await call(port, 'GET', path);
      assert.equal(r.status, 404, path);
      assert.ok(typeof (JSON.parse(r.body) as { error: string }).error === 'string');
    }
  });

  it('a trailing slash is tolerated', async () => {
    assert.equal((await call(port, 'GET', '/debug/syncz/')).status, 200);
  });

  it('wrong methods get 405 with an Allow header', async () => {
    const get = await call(port, 'GET', '/debug/config/apply');
    assert.equal(get.status, 405);
    assert.equal(get.headers['allow'], 'POST');
    const post = await call(port, 'POST', '/debug/syncz', 'x');
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET, HEAD');
    for (const m of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      assert.equal((await call(port, m, '/metrics')).status, 405, m);
    }
  });

  it('accepts a body of exactly the limit', async () => {
    const body = `#${'x'.repeat(MAX_BODY_BYTES - 2)}\n`;
    const r = await call(port, 'POST', '/debug/config/apply', body);
    assert.equal(r.status, 200);
  });

  it('answers 413 to a body one byte over the limit', async () => {
    const body = `#${'x'.repeat(MAX_BODY_BYTES - 1)}\n`;
    const r = await call(port, 'POST', '/debug/config/apply', body);
    assert.equal(r.status, 413);
    assert.match((JSON.parse(r.body) as { errors: string[] }).errors[0] ?? '', /limit/);
  });

  it('answers 413 to an oversized chunked body (no content-length)', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x23);
    const r = await call(port, 'POST', '/debug/config/delete', [chunk, chunk, chunk, chunk, chunk]);
    assert.equal(r.status, 413);
  });

  it('answers 413 at once when content-length is absurd', async () => {
    const reply = await raw(
      port,
      'POST /debug/config/apply HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\nkind: x\n',
    );
    assert.match(reply, /^HTTP\/1\.1 413 /);
  });

  it('survives malformed HTTP and keeps serving', async () => {
    const reply = await raw(port, 'GARBAGE\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 400 /);
    // A client that hangs up halfway through its body.
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write('POST /debug/config/apply HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort');
        setTimeout(() => s.destroy(), 20);
      });
      s.on('close', () => resolve());
      s.on('error', () => undefined);
    });
    assert.equal((await call(port, 'GET', '/healthz')).status, 200);
  });

  it('turns a throwing backend into a 500 and keeps serving', async () => {
    const broken: DebugBackend = {
      syncz: () => {
        throw new Error('index not built');
      },
      listResources: () => {
        throw new TypeError('boom');
      },
      apply: () => {
        throw new Error('store is read-only');
      },
      delete: () => {
        throw 'not even an Error';
      },
      configDump: () => ({ big: 10n }),
      metricsText: () => {
        throw new Error('registry closed');
      },
    };
    const s = await startDebugServer(broken, { host: '127.0.0.1', port: 0 });
    try {
      const p = s.address.port;
      const syncz = await call(p, 'GET', '/debug/syncz');
      assert.equal(syncz.status, 500);
      assert.match(syncz.body, /index not built/);
      assert.equal((await call(p, 'GET', '/metrics')).status, 500);
      assert.equal((await call(p, 'GET', '/debug/config')).status, 500);
      const apply = await call(p, 'POST', '/debug/config/apply', GOOD_VS);
      assert.equal(apply.status, 500);
      assert.deepEqual((JSON.parse(apply.body) as { errors: string[] }).errors, ['internal error: store is read-only']);
      assert.equal((await call(p, 'POST', '/debug/config/delete', GOOD_VS)).status, 500);
      const dump = await call(p, 'GET', '/debug/config_dump?proxy=x');
      assert.equal(dump.status, 200);
      assert.deepEqual(JSON.parse(dump.body), { big: '10' });
      assert.equal((await call(p, 'GET', '/healthz')).status, 200);
    } finally {
      await s.close();
    }
  });

  it('passes unknown paths to the fallback handler, and small limits apply', async () => {
    const s = await startDebugServer(fakeBackend, {
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 10,
      fallback(req, res) {
        if (req.url === '/boom') throw new Error('dashboard bug');
        if (req.url !== '/dashboard/') return false;
        res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>weft</h1>');
        return true;
      },
    });
    try {
      const p = s.address.port;
      assert.equal((await call(p, 'GET', '/dashboard/')).body, '<h1>weft</h1>');
      assert.equal((await call(p, 'GET', '/elsewhere')).status, 404);
      assert.equal((await call(p, 'GET', '/boom')).status, 500);
      assert.equal((await call(p, 'POST', '/debug/config/apply', '# eleven b\n')).status, 413);
    } finally {
      await s.close();
    }
  });

  it('rejects when the port is taken, and close() is idempotent', async () => {
    await assert.rejects(startDebugServer(fakeBackend, { host: '127.0.0.1', port }), /EADDRINUSE/);
    const s = await startDebugServer(fakeBackend, { host: '127.0.0.1', port: 0 });
    await s.close();
    await s.close();
  });
});
