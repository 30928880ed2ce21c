import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import { exchangePeerMetadata, parsePeerFrame, PEER_EXCHANGE_MAGIC, peerExchangeFrame, type PeerExchangeResult } from './peer-exchange.js';
import { MAX_PEER_METADATA_HEADER } from '../../telemetry/peer-metadata.js';

const CLIENT: PeerMetadata = { workload: 'productpage-v1', namespace: 'default', app: 'productpage', version: 'v1', serviceAccount: 'bookinfo-productpage', principal: '', cluster: 'Kubernetes' };
const SERVER: PeerMetadata = { workload: 'ratings-v1', namespace: 'shop', app: 'ratings', version: 'v1', serviceAccount: 'ratings', principal: '', cluster: 'Kubernetes', canonicalService: 'ratings-svc' };

function header(len: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(PEER_EXCHANGE_MAGIC, 0);
  h.writeUInt32BE(len, 4);
  return h;
}

describe('peer exchange frame', () => {
  it('round-trips metadata and keeps the bytes after the frame', () => {
    const f = Buffer.concat([peerExchangeFrame(SERVER), Buffer.from('app-bytes')]);
    const r = parsePeerFrame(f);
    assert.equal(r.kind, 'peer');
    if (r.kind !== 'peer') return;
    assert.deepEqual(r.peer, SERVER);
    assert.equal(r.rest.toString(), 'app-bytes');
  });

  it('asks for more bytes on every strict prefix of a frame', () => {
    const f = peerExchangeFrame(CLIENT);
    for (let n = 0; n < f.length; n++) assert.equal(parsePeerFrame(f.subarray(0, n)).kind, 'need-more', `prefix ${n}`);
  });

  it('is not a frame: other first bytes, or a payload length over the bound', () => {
    assert.equal(parsePeerFrame(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'not-a-frame');
    assert.equal(parsePeerFrame(Buffer.from([0x3d, 0x23, 0x04, 0x00])).kind, 'not-a-frame');
    assert.equal(parsePeerFrame(header(MAX_PEER_METADATA_HEADER + 1)).kind, 'not-a-frame');
    assert.equal(parsePeerFrame(header(0xffffffff)).kind, 'not-a-frame');
  });

  it('a well-framed payload that does not decode gives no peer and is consumed', () => {
    const junk = Buffer.from('!!not-base64url!!');
    const r = parsePeerFrame(Buffer.concat([header(junk.length), junk, Buffer.from('x')]));
    assert.equal(r.kind, 'peer');
    if (r.kind !== 'peer') return;
    assert.equal(r.peer, null);
    assert.equal(r.rest.toString(), 'x');
  });
});

describe('exchangePeerMetadata over a real connection', () => {
  let server: net.Server;
  let onConn: (s: net.Socket) => void = () => {};
  const HOST = '127.0.59.1';
  let port = 0;

  before(async () => {
    server = net.createServer({ allowHalfOpen: true }, (s) => onConn(s));
    await new Promise<void>((r) => server.listen(0, HOST, r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  /** A connected pair: [client side, server side]. */
  async function pair(): Promise<[net.Socket, net.Socket]> {
    const accepted = new Promise<net.Socket>((r) => (onConn = r));
    const c = net.connect({ host: HOST, port, allowHalfOpen: true });
    await new Promise<void>((r, j) => c.once('connect', r).once('error', j));
    return [c, await accepted];
  }

  const run = (s: net.Socket, self: PeerMetadata, timeoutMs?: number): Promise<PeerExchangeResult> =>
    new Promise((r) => exchangePeerMetadata(s, self, r, timeoutMs));

  it('both sides learn each other, app bytes written right after the frame survive', async () => {
    const [c, s] = await pair();
    const [rc, rs] = await Promise.all([run(c, CLIENT), run(s, SERVER)]);
    assert.deepEqual(rc.peer, SERVER);
    assert.deepEqual(rs.peer, CLIENT);
    // After the exchange the sockets carry app bytes as they are.
    s.resume();
    const got = new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString())));
    c.write('hello');
    assert.equal(await got, 'hello');
    c.destroy();
    s.destroy();
  });

  it('a peer that speaks the app protocol at once: no peer, its bytes handed back', async () => {
    const [c, s] = await pair();
    s.write('220 smtp ready\r\n');
    const r = await run(c, CLIENT);
    assert.equal(r.peer, null);
    assert.equal(r.head.toString(), '220 smtp ready\r\n');
    assert.equal(r.ended, false);
    c.destroy();
    s.destroy();
  });

  it('a silent peer: the exchange gives up after its timeout with no peer', async () => {
    const [c, s] = await pair();
    const r = await run(c, CLIENT, 200);
    assert.equal(r.peer, null);
    assert.equal(r.head.length, 0);
    assert.equal(r.closed, false);
    c.destroy();
    s.destroy();
  });

  it('a peer that half-closes before a whole frame: ended, partial bytes handed back', async () => {
    const [c, s] = await pair();
    s.end(peerExchangeFrame(SERVER).subarray(0, 5));
    const r = await run(c, CLIENT);
    assert.equal(r.peer, null);
    assert.equal(r.ended, true);
    assert.equal(r.head.length, 5);
    c.destroy();
    s.destroy();
  });

  it('a peer that resets: closed, never hangs', async () => {
    const [c, s] = await pair();
    const p = run(c, CLIENT);
    s.resetAndDestroy();
    const r = await p;
    assert.equal(r.closed || r.ended, true);
    assert.equal(r.peer, null);
    c.destroy();
  });
});
