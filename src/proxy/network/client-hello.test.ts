// The ClientHello SNI reader: a real ClientHello from node:tls (captured on a raw net server, so
// no certificate is needed), byte-by-byte arrival, truncated and garbage inputs, server_names
// matching, and peekSni handing over the bytes it read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { matchServerName, MAX_CLIENT_HELLO_RECORD, parseClientHello, peekSni } from './client-hello.js';
import { seededRandom } from '../../testing/prng.js';

/** The first bytes node:tls sends when connecting with `servername` (undefined: no SNI). */
async function captureClientHello(servername: string | undefined): Promise<Buffer> {
  let resolveHello: (b: Buffer) => void = () => undefined;
  const got = new Promise<Buffer>((r) => (resolveHello = r));
  const srv = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        resolveHello(buf);
        s.destroy();
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const c = tls.connect({ host: '127.0.0.1', port, ...(servername !== undefined ? { servername } : {}), rejectUnauthorized: false });
  c.on('error', () => undefined);
  const hello = await got;
  c.destroy();
  srv.close();
  return hello;
}

test('sni-of-a-real-node-tls-client-hello', async () => {
  const hello = await captureClientHello('API.Example.internal');
  assert.equal(hello[0], 0x16);
  assert.deepEqual(parseClientHello(hello), { done: true, sni: 'api.example.internal' });
  // Arriving a byte at a time: undecided until the record is complete.
  for (let n = 0; n < hello.length; n++) assert.deepEqual(parseClientHello(hello.subarray(0, n)), { done: false }, `prefix ${n}`);
  // Bytes after the record (none expected from a client, but harmless) do not matter.
  assert.deepEqual(parseClientHello(Buffer.concat([hello, Buffer.from('junk')])), { done: true, sni: 'api.example.internal' });
});

test('client-hello-without-sni-is-no-sni', async () => {
  // node:tls sends no server_name for an IP address host.
  const hello = await captureClientHello(undefined);
  assert.deepEqual(parseClientHello(hello), { done: true, sni: null });
});

test('garbage-and-corrupted-client-hellos-never-throw', async () => {
  assert.deepEqual(parseClientHello(Buffer.alloc(0)), { done: false });
  assert.deepEqual(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')), { done: true, sni: null });
  assert.deepEqual(parseClientHello(Buffer.from([0x16, 0x02])), { done: true, sni: null }, 'bad record version');
  assert.deepEqual(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff])), { done: true, sni: null }, 'record over 16 KiB');
  assert.deepEqual(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0, 0, 0])), { done: true, sni: null }, 'not a client_hello');
  assert.deepEqual(parseClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0, 0, 0])), { done: true, sni: null }, 'empty client_hello');
  const hello = await captureClientHello('svc.example.internal');
  // Every truncation of the handshake inside a complete record: no SNI or the SNI, never a throw.
  for (let cut = 9; cut < hello.length; cut++) {
    const t = Buffer.from(hello.subarray(0, cut));
    t.writeUInt16BE(cut - 5, 3);
    const r = parseClientHello(t);
    assert.equal(r.done, true);
  }
  // Random byte flips and random bytes.
  const rand = seededRandom(7);
  for (let i = 0; i < 2000; i++) {
    const t = Buffer.from(hello);
    for (let k = 0; k < 4; k++) t[5 + Math.floor(rand() * (t.length - 5))] = Math.floor(rand() * 256);
    const r = parseClientHello(t);
    assert.equal(r.done, true);
    if (r.done && r.sni !== null) assert.match(r.sni, /^[a-z0-9_.-]+$/);
    const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
    parseClientHello(junk);
    junk[0] = 0x16;
    parseClientHello(junk);
  }
  assert.equal(MAX_CLIENT_HELLO_RECORD, 16_384);
});

test('server-names-match-exact-before-the-longest-wildcard', () => {
  const chains = [{ id: 1, serverNames: ['*.example.com'] }, { id: 2, serverNames: ['a.example.com'] }, { id: 3, serverNames: ['*.b.example.com'] }];
  assert.equal(matchServerName(chains, 'a.example.com')?.id, 2);
  assert.equal(matchServerName(chains, 'x.b.example.com')?.id, 3);
  assert.equal(matchServerName(chains, 'x.y.example.com')?.id, 1);
  assert.equal(matchServerName(chains, 'example.com'), undefined);
  assert.equal(matchServerName(chains, null), undefined);
});

test('peek-sni-hands-over-the-bytes-it-read', async () => {
  const hello = await captureClientHello('peek.example.internal');
  const result = new Promise<{ sni: string | null; head: Buffer; rest: Buffer }>((resolve) => {
    const srv = net.createServer((s) => {
      peekSni(s, 5000, (sni, head) => {
        // The socket is paused; what arrives later is read after the head.
        let rest = Buffer.alloc(0);
        s.on('data', (d: Buffer) => (rest = Buffer.concat([rest, d])));
        s.on('end', () => {
          resolve({ sni, head, rest });
          srv.close();
        });
        s.resume();
      });
    });
    srv.listen(0, '127.0.0.1', () => {
      const c = net.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
      // The ClientHello in three pieces, then application bytes.
      c.write(hello.subarray(0, 3));
      setTimeout(() => c.write(hello.subarray(3, 40)), 20);
      setTimeout(() => c.write(hello.subarray(40)), 40);
      setTimeout(() => c.end('after'), 60);
    });
  });
  const { sni, head, rest } = await result;
  assert.equal(sni, 'peek.example.internal');
  assert.deepEqual(head, hello);
  assert.equal(rest.toString(), 'after');
});
