// gRPC through two sidecars: a grpc-js client (h2c to the client sidecar's outbound listener) →
// client sidecar (h2 upstream) → server sidecar (h2c inbound, h2 upstream) → a real grpc-js server.
// Unary and bidi streaming, status codes and trailers, metadata both ways, Istio metrics with
// request_protocol "grpc", a gRPC status retried per retryOn, and HTTP/1.1 callers reaching the
// h2 upstream (chunked response, trailers when asked with TE: trailers).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { startControlPlane, startProcess, startProxy, stopAll, tempDir, waitFor, type ProxyHandle } from './harness/processes.js';
import { allSynced, writeConfig } from './harness/config.js';
import { httpGet } from './harness/http.js';
import { DIST } from './harness/repo.js';
import { ECHO_SERVICE, type EchoReply, type EchoRequest } from './fixtures/grpc-service.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.35';
const ip = (n: number): string => `${SUBNET}.${n}`;
const HOST = 'greeter.default.svc.cluster.local';
const AUTHORITY = `${HOST}:7070`;

const CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: greeter, namespace: default, labels: {app: greeter, version: v1}}
spec:
  service: greeter
  serviceAccount: greeter
  ports: [{name: grpc, containerPort: 7071, servicePort: 7070, protocol: GRPC}]
  command: ["true"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: greeter, namespace: default}
spec:
  hosts: [greeter]
  http:
  - match: [{headers: {x-retry: {exact: "yes"}}}]
    retries: {attempts: 3, retryOn: unavailable}
    route: [{destination: {host: greeter}}]
  - match: [{headers: {x-retry: {exact: "no"}}}]
    retries: {attempts: 0}
    route: [{destination: {host: greeter}}]
  - route: [{destination: {host: greeter}}]
`;

const REGISTRY = `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: greeter-0, namespace: default, labels: {app: greeter, version: v1, weft.dev/workload: greeter}}
spec:
  address: ${ip(11)}
  ports: {grpc: 7070}
  labels: {app: greeter, version: v1, weft.dev/workload: greeter}
  serviceAccount: greeter
`;

type EchoClient = grpc.Client & {
  unary: (req: EchoRequest, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, r?: EchoReply) => void) => grpc.ClientUnaryCall;
  bidi: (md: grpc.Metadata) => grpc.ClientDuplexStream<EchoRequest, EchoReply>;
};

interface UnaryResult {
  err: grpc.ServiceError | null;
  reply: EchoReply | undefined;
  headers: grpc.Metadata | undefined;
  status: grpc.StatusObject | undefined;
}

describe('gRPC through two sidecars', { timeout: 120_000 }, () => {
  let client: EchoClient;
  let caller: ProxyHandle;

  const unary = (req: EchoRequest, meta: Record<string, string> = {}): Promise<UnaryResult> =>
    new Promise((resolve) => {
      const md = new grpc.Metadata();
      for (const [k, v] of Object.entries(meta)) md.set(k, v);
      const out: UnaryResult = { err: null, reply: undefined, headers: undefined, status: undefined };
      let pending = 2;
      const done = (): void => {
        if (--pending === 0) resolve(out);
      };
      const call = client.unary(req, md, (err, reply) => {
        out.err = err;
        out.reply = reply;
        done();
      });
      call.on('metadata', (h: grpc.Metadata) => {
        out.headers = h;
      });
      call.on('status', (s: grpc.StatusObject) => {
        out.status = s;
        done();
      });
    });

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'mesh.yaml', CONFIG);
    writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', REGISTRY);
    const cp = await startControlPlane({ configDir, stateDir, xdsPort: 26110, httpPort: 26114 });
    const app = startProcess([path.join(DIST, 'test/fixtures/grpc-server.js')], { GRPC_NAME: 'greeter-0', GRPC_HOST: ip(11), GRPC_PORT: '7071' });
    await waitFor('grpc server', () => app.output().includes('grpc server ready'), 10_000, app);
    await startProxy({ xds: cp.xds, ip: ip(11), name: 'greeter-0', workload: 'greeter', labels: { app: 'greeter', version: 'v1' }, serviceAccount: 'greeter' });
    caller = await startProxy({ xds: cp.xds, ip: ip(2), name: 'caller-0', workload: 'caller', labels: { app: 'caller', version: 'v1' } });
    await waitFor('synced', () => allSynced(cp.http, 2));
    const Ctor = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
    client = new Ctor(`${ip(2)}:15001`, grpc.credentials.createInsecure(), { 'grpc.default_authority': AUTHORITY }) as unknown as EchoClient;
    await waitFor('greeter reachable through the sidecars', async () => (await unary({ name: 'ping' })).err === null, 20_000);
  });
  after(async () => {
    client?.close();
    await stopAll();
  });

  it('unary: reply, request metadata, response headers and trailers pass through', async () => {
    const r = await unary({ name: 'alice' }, { 'x-test-meta': 'from-client' });
    assert.equal(r.err, null);
    assert.deepEqual(r.reply, { echo: 'alice', server: 'greeter-0', meta: 'from-client' });
    assert.deepEqual(r.headers?.get('x-server-initial'), ['hello']);
    assert.equal(r.status?.code, grpc.status.OK);
    assert.deepEqual(r.status?.metadata.get('x-server-trailer'), ['bye']);
  });

  it('a NOT_FOUND status and its message reach the caller', async () => {
    const r = await unary({ name: 'missing' });
    assert.equal(r.err?.code, grpc.status.NOT_FOUND);
    assert.equal(r.err?.details, 'no such name');
  });

  it('bidi streaming: each message is answered before the next is sent; trailers at the end', async () => {
    const md = new grpc.Metadata();
    md.set('x-test-meta', 'stream');
    const call = client.bidi(md);
    const replies: EchoReply[] = [];
    const statusP = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    const next = (): Promise<EchoReply> => new Promise((resolve) => call.once('data', resolve));
    for (let i = 0; i < 5; i++) {
      const got = next();
      call.write({ name: `m${i}` });
      replies.push(await got); // a reply before the request stream ends proves nothing is buffered whole
    }
    call.end();
    const status = await statusP;
    assert.deepEqual(replies.map((r) => r.echo), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.equal(replies[0]?.meta, 'stream');
    assert.equal(status.code, grpc.status.OK);
    assert.deepEqual(status.metadata.get('x-server-trailer'), ['bye']);
  });

  it('many concurrent calls multiplex on the sidecars’ sessions', async () => {
    const rs = await Promise.all(Array.from({ length: 50 }, (_, i) => unary({ name: `c${i}` })));
    assert.ok(rs.every((r, i) => r.err === null && r.reply?.echo === `c${i}`));
  });

  it('retryOn unavailable retries an UNAVAILABLE status; Istio’s default policy does too; attempts 0 does not', async () => {
    const retried = await unary({ name: 'flaky', failTimes: 2, key: 'k1' }, { 'x-retry': 'yes' });
    assert.equal(retried.err, null);
    assert.equal(retried.reply?.echo, 'flaky');
    const byDefault = await unary({ name: 'flaky', failTimes: 1, key: 'k2' });
    assert.equal(byDefault.err, null);
    const off = await unary({ name: 'flaky', failTimes: 1, key: 'k3' }, { 'x-retry': 'no' });
    assert.equal(off.err?.code, grpc.status.UNAVAILABLE);
    assert.equal(off.err?.details, 'try again');
  });

  it('Istio metrics record request_protocol grpc on both sidecars', async () => {
    const m = parseExposition((await httpGet(`http://${caller.admin}/stats/prometheus`)).body);
    const src = findSamples(m, 'istio_requests_total', { reporter: 'source', request_protocol: 'grpc', destination_service: AUTHORITY.split(':')[0]!, response_code: '200' });
    assert.ok(src.length > 0 && src.reduce((n, s) => n + s.value, 0) >= 50, 'client sidecar counted the gRPC calls');
    const server = parseExposition((await httpGet(`http://${ip(11)}:15000/stats/prometheus`)).body);
    const dst = findSamples(server, 'istio_requests_total', { reporter: 'destination', request_protocol: 'grpc' });
    assert.ok(dst.length > 0, 'server sidecar counted the gRPC calls');
  });

  it('an HTTP/1.1 caller reaches the h2 upstream: chunked response, trailers when it sends TE: trailers', async () => {
    const frame = Buffer.alloc(5);
    const msg = Buffer.from(JSON.stringify({ name: 'h1' }));
    frame.writeUInt32BE(msg.length, 1);
    const body = Buffer.concat([frame, msg]);
    const raw = await new Promise<string>((resolve, reject) => {
      const s = net.connect(15001, ip(2), () => {
        s.write(
          `POST /weft.test.Echo/Unary HTTP/1.1\r\nhost: ${AUTHORITY}\r\ncontent-type: application/grpc\r\nte: trailers\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
        );
        s.write(body);
      });
      let out = '';
      s.on('data', (d: Buffer) => (out += d.toString('latin1')));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 200 /);
    assert.match(raw, /transfer-encoding: chunked/i);
    assert.ok(raw.includes('"echo":"h1"'));
    assert.match(raw, /\r\n0\r\n(.*\r\n)*grpc-status: 0\r\n/);
    assert.match(raw, /x-server-trailer: bye\r\n/);
  });
});
