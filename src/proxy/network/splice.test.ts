import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { splice } from './splice.js';

// Bound to the tcp-mx subnet so it never collides with other tests.
const HOST = '127.0.59.2';

describe('splice', { timeout: 30_000 }, () => {
  let server: net.Server;
  let onConn: (s: net.Socket) => void = () => {};
  let port = 0;
  before(async () => {
    server = net.createServer({ allowHalfOpen: true }, (s) => onConn(s));
    await new Promise<void>((r) => server.listen(0, HOST, r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  async function pair(): Promise<[net.Socket, net.Socket]> {
    const accepted = new Promise<net.Socket>((r) => (onConn = r));
    const c = net.connect({ host: HOST, port, allowHalfOpen: true });
    await new Promise<void>((r, j) => c.once('connect', r).once('error', j));
    return [c, await accepted];
  }

  it("passes on an end that was emitted before the splice (read during a peer exchange)", async () => {
    const [client, down] = await pair(); // client → down (downstream side)
    const [up, app] = await pair(); // up → app (upstream side)
    // The downstream's bytes and FIN are read (and 'end' emitted) before the splice exists.
    const head = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      down.on('data', (d: Buffer) => chunks.push(d));
      down.once('end', () => resolve(Buffer.concat(chunks)));
      client.end('early');
    });
    down.removeAllListeners('data');
    assert.equal(down.readableEnded, true);
    const appGot = new Promise<string>((resolve) => {
      let s = '';
      app.on('data', (d: Buffer) => (s += d.toString()));
      app.once('end', () => resolve(s));
    });
    splice(down, up, { onClose: () => {} }, { downstreamHead: head });
    assert.equal(await appGot, 'early', 'head forwarded, then the end');
    app.end('reply');
    const clientGot = await new Promise<string>((resolve) => {
      let s = '';
      client.on('data', (d: Buffer) => (s += d.toString()));
      client.once('end', () => resolve(s));
    });
    assert.equal(clientGot, 'reply', 'the other direction still flows after the half-close');
    for (const s of [client, down, up, app]) s.destroy();
  });
});
