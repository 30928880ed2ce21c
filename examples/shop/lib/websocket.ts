// A minimal WebSocket server side (RFC 6455) for the shop's live order feed: the opening
// handshake, unfragmented text frames to the client, and the client's close / ping frames.
// Enough for a browser tab or a test to watch new orders; not a general WebSocket library.

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface WebSocketConnection {
  sendText(text: string): void;
  close(): void;
  readonly closed: boolean;
  onClose(listener: () => void): void;
}

/** Completes the handshake on an HTTP upgrade; answers 400 and returns null if it is not one. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex): WebSocketConnection | null {
  const key = req.headers['sec-websocket-key'];
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nexpected a WebSocket upgrade (version 13)\n');
    return null;
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);

  let closed = false;
  const listeners: (() => void)[] = [];
  const finish = (): void => {
    if (closed) return;
    closed = true;
    for (const l of listeners) l();
  };
  const frame = (opcode: number, payload: Buffer): void => {
    if (closed) return;
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 255]) : null;
    if (!head) throw new Error('frame too large for this minimal server');
    socket.write(Buffer.concat([head, payload]));
  };
  // Client frames: masked, small. Only close (8) and ping (9) matter here.
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      const opcode = buf[0]! & 0x0f;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        socket.destroy(); // 64-bit lengths: not from this feed's clients
        return finish();
      }
      const masked = (buf[1]! & 0x80) !== 0;
      const total = off + (masked ? 4 : 0) + len;
      if (buf.length < total) return;
      const mask = masked ? buf.subarray(off, off + 4) : null;
      const payload = Buffer.from(buf.subarray(total - len, total));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      buf = buf.subarray(total);
      if (opcode === 8) {
        frame(8, payload.subarray(0, 2));
        socket.end();
        return finish();
      }
      if (opcode === 9) frame(10, payload);
    }
  });
  socket.on('close', finish);
  socket.on('error', finish);
  return {
    sendText: (text) => frame(1, Buffer.from(text)),
    close: () => {
      frame(8, Buffer.from([0x03, 0xe8])); // 1000 normal closure
      socket.end();
      finish();
    },
    get closed() {
      return closed;
    },
    onClose: (l) => listeners.push(l),
  };
}
