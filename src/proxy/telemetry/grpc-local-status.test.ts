import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GrpcMessageCounts } from './grpc-messages.js';
import { httpToGrpcStatus, noteReplyGrpcStatus, settleGrpcStatus } from './grpc-local-status.js';

const counts = (): GrpcMessageCounts => GrpcMessageCounts.forContentType('application/grpc')!;

describe('grpc_response_status of local replies', () => {
  it('maps HTTP statuses as gRPC clients do', () => {
    const table: [number, number][] = [[400, 13], [401, 16], [403, 7], [404, 12], [429, 14], [502, 14], [503, 14], [504, 14], [500, 2], [418, 2]];
    for (const [http, grpc] of table) assert.equal(httpToGrpcStatus(http), grpc, `${http}`);
  });

  it('fills the status only when none came back and the response was an error', () => {
    const a = counts();
    settleGrpcStatus(a, 503);
    assert.equal(a.status, '14');
    const b = counts();
    b.headers(['grpc-status', '5']);
    settleGrpcStatus(b, 503);
    assert.equal(b.status, '5', 'a real grpc-status wins');
    const c = counts();
    settleGrpcStatus(c, 200);
    assert.equal(c.status, '');
    const d = counts();
    settleGrpcStatus(d, 0);
    assert.equal(d.status, '', 'no response at all (downstream gone): no status');
    settleGrpcStatus(null, 503); // plain HTTP: nothing to do, no throw
  });

  it("takes a local reply's own grpc-status header (fault abort)", () => {
    const a = counts();
    noteReplyGrpcStatus(a, 'content-type: application/grpc\r\ngrpc-status: 8\r\ngrpc-message: fault filter abort\r\n');
    settleGrpcStatus(a, 200);
    assert.equal(a.status, '8');
    const b = counts();
    noteReplyGrpcStatus(b, 'content-type: text/plain\r\n');
    assert.equal(b.status, '');
  });
});
