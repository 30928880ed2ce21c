// Upstream apps for the HTTP/2 and TCP scenarios, run as a separate Node process so they do not
// share an event loop with the benchmark:
//   node dist/bench/proto-servers.js h2 HOST PORT    h2c (prior knowledge) server, 200 + 1 KiB body
//   node dist/bench/proto-servers.js sink HOST PORT  TCP sink: reads an 8-byte big-endian length,
//                                                    then that many bytes, then answers "ok\n"
// Prints "proto-server ready" once listening.

import http2 from 'node:http2';
import net from 'node:net';

// Must match PROTO_READY_LINE in proto-targets.ts (not imported: this file runs on load).
const PROTO_READY_LINE = 'proto-server ready';
const BODY = Buffer.from('x'.repeat(1024));

function h2Server(host: string, port: number): void {
  const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': BODY.length });
    stream.end(BODY);
  });
  server.on('sessionError', () => undefined);
  server.listen(port, host, () => process.stdout.write(`${PROTO_READY_LINE}\n`));
}

function sinkServer(host: string, port: number): void {
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    let header = Buffer.alloc(0);
    let expected = -1;
    let received = 0;
    sock.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (expected < 0) {
        header = Buffer.concat([header, data]);
        if (header.length < 8) return;
        expected = Number(header.readBigUInt64BE(0));
        data = header.subarray(8);
      }
      received += data.length;
      if (received >= expected && expected >= 0) {
        expected = Number.MAX_SAFE_INTEGER; // answer once
        sock.write('ok\n');
      }
    });
    sock.on('end', () => sock.end());
  });
  server.listen(port, host, () => process.stdout.write(`${PROTO_READY_LINE}\n`));
}

const [mode, host = '127.0.0.1', portText = '0'] = process.argv.slice(2);
const port = Number(portText);
if (mode === 'h2') h2Server(host, port);
else if (mode === 'sink') sinkServer(host, port);
else {
  process.stderr.write('usage: proto-servers.js h2|sink HOST PORT\n');
  process.exit(2);
}
