// ALPN names from a real node:tls ClientHello (the mesh mTLS chain is matched by them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { parseClientHello } from './client-hello.js';

async function helloWithAlpn(alpn: string[] | undefined): Promise<Buffer> {
  let done: (b: Buffer) => void = () => undefined;
  const got = new Promise<Buffer>((r) => (done = r));
  const srv = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        done(buf);
        s.destroy();
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const c = tls.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, servername: 'outbound_.80_._.reviews.default.svc.cluster.local', rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: alpn } : {}) });
  c.on('error', () => undefined);
  const hello = await got;
  c.destroy();
  srv.close();
  return hello;
}

test('alpn names of a real client hello, in order; none when not offered', async () => {
  const h = await helloWithAlpn(['istio-peer-exchange', 'istio']);
  assert.deepEqual(parseClientHello(h), { done: true, sni: 'outbound_.80_._.reviews.default.svc.cluster.local', alpn: ['istio-peer-exchange', 'istio'] });
  const none = await helloWithAlpn(undefined);
  assert.deepEqual(parseClientHello(none), { done: true, sni: 'outbound_.80_._.reviews.default.svc.cluster.local' });
  // A corrupted ALPN length never throws: the names are just absent.
  const i = h.indexOf(Buffer.from('istio-peer-exchange')) - 1;
  const bad = Buffer.from(h);
  bad[i] = 0xff;
  const r = parseClientHello(bad);
  assert.equal(r.done, true);
  assert.equal(r.done && r.alpn, undefined);
});
