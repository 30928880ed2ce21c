// A small WebSocket client for tests (Node 20 has none built in): the opening handshake over a
// raw socket, text messages from the server (unmasked, unfragmented), and a masked close frame.
import net from 'node:net';
import crypto from 'node:crypto';

export interface WsClient {
  /** The handshake response's status line and headers. */
  head: string;
  /** Resolves with the next text message (waits up to timeoutMs). */
  next(timeoutMs?: number): Promise<string>;
  close(): void;
}

export function openWs(host: string, port: number, path: string, hostHeader = `${host}:${port}`): Promise<WsClient> {
  const key = crypto.randomBytes(16).toString('base64');
  const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let head: string | null = null;
    const messages: string[] = [];
    const waiters: ((m: string) => void)[] = [];
    const fail = (e: Error): void => reject(e);
    sock.once('error', fail);
    sock.on('connect', () =>
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`),
    );
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (head === null) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        if (!/^HTTP\/1\.1 101 /.test(head) || !head.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
          sock.destroy();
          return fail(new Error(`not a WebSocket handshake:\n${head}`));
        }
        sock.off('error', fail);
        sock.on('error', () => {});
        resolve({
          head,
          next: (timeoutMs = 10_000) =>
            new Promise((res, rej) => {
              const m = messages.shift();
              if (m !== undefined) return res(m);
              const t = setTimeout(() => rej(new Error(`no WebSocket message within ${timeoutMs} ms`)), timeoutMs);
              waiters.push((msg) => {
                clearTimeout(t);
                res(msg);
              });
            }),
          close: () => {
            const mask = crypto.randomBytes(4);
            const payload = Buffer.from([0x03 ^ mask[0]!, 0xe8 ^ mask[1]!]);
            sock.end(Buffer.concat([Buffer.from([0x88, 0x82]), mask, payload]));
          },
        });
      }
      while (buf.length >= 2) {
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len).toString('utf8');
        buf = buf.subarray(off + len);
        if (opcode !== 1) continue;
        const w = waiters.shift();
        if (w) w(payload);
        else messages.push(payload);
      }
    });
  });
}
