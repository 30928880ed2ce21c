import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcFrameScanner, GrpcMessageCounts } from './grpc-messages.js';

function frame(payload: number): Buffer {
  const b = Buffer.alloc(5 + payload, 0x7a);
  b[0] = 0;
  b.writeUInt32BE(payload, 1);
  return b;
}

test('counts messages whole, split at every byte, and empty', () => {
  const stream = Buffer.concat([frame(3), frame(0), frame(300), frame(70_000)]);
  const whole = new GrpcFrameScanner();
  whole.feed(stream);
  assert.equal(whole.count, 4);
  const bytewise = new GrpcFrameScanner();
  for (const byte of stream) bytewise.feed(Uint8Array.of(byte));
  assert.equal(bytewise.count, 4);
  for (let cut = 1; cut < 320; cut += 7) {
    const s = new GrpcFrameScanner();
    s.feed(stream.subarray(0, cut));
    s.feed(stream.subarray(cut));
    assert.equal(s.count, 4, `cut at ${cut}`);
  }
});

test('a message is counted when its prefix is complete; payload bytes that look like prefixes are skipped', () => {
  const s = new GrpcFrameScanner();
  s.feed(frame(10).subarray(0, 4));
  assert.equal(s.count, 0);
  s.feed(frame(10).subarray(4, 5));
  assert.equal(s.count, 1);
  s.feed(Buffer.alloc(10, 0)); // zeros would read as empty messages if they were prefixes
  assert.equal(s.count, 1);
});

test('only gRPC content types are scanned; directions count separately', () => {
  assert.equal(GrpcMessageCounts.forContentType('application/json'), null);
  const c = GrpcMessageCounts.forContentType('application/grpc+proto');
  assert.ok(c);
  c.requestData(Buffer.concat([frame(1), frame(2)]));
  c.responseData(frame(5));
  assert.deepEqual([c.request, c.response], [2, 1]);
});

test('grpc-status from trailers or a trailers-only head', () => {
  const c = GrpcMessageCounts.forContentType('application/grpc');
  assert.ok(c);
  assert.equal(c.status, '');
  c.headers(['content-type', 'application/grpc']);
  assert.equal(c.status, '');
  c.headers(['grpc-status', '14', 'grpc-message', 'unavailable']);
  assert.equal(c.status, '14');
});
