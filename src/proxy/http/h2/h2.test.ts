// HTTP/2 upstream protocol: translation emits http2_protocol_options for HTTP2/GRPC ports and
// keeps pool options; the proxy decodes it and NACKs options it does not implement; header
// conversion drops connection-specific headers; the preface sniffer tells h2c from HTTP/1.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { decodeCluster } from '../../config/decode-cluster.js';
import { ConfigRejection } from '../../config/check.js';
import { applyUpstreamProtocol } from '../../../control/translate/protocol.js';
import { applyConnectionPool } from '../../../control/translate/traffic-policy.js';
import { fromH2Headers, toH2Headers } from './headers.js';
import { requestHeadOf } from './downstream-stream.js';
import { httpToGrpcStatus as grpcStatusForHttp } from '../../telemetry/grpc-local-status.js';
import { sniffProtocol } from './server.js';

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const H2 = { [HPO]: { '@type': `type.googleapis.com/${HPO}`, explicit_http_config: { http2_protocol_options: {} } } };

test('translation: GRPC and HTTP2 ports get http2_protocol_options, HTTP stays HTTP/1.1', () => {
  const grpc: Record<string, unknown> = { name: 'c' };
  applyUpstreamProtocol(grpc, 'GRPC');
  assert.deepEqual(grpc.typed_extension_protocol_options, H2);
  const http: Record<string, unknown> = { name: 'c' };
  applyUpstreamProtocol(http, 'HTTP');
  assert.equal(http.typed_extension_protocol_options, undefined);
});

test('translation: pool options are kept when the port is HTTP2', () => {
  const c: Record<string, unknown> = { name: 'c' };
  applyConnectionPool(c, { http: { maxRequestsPerConnection: 3 } });
  applyUpstreamProtocol(c, 'HTTP2');
  const o = (c.typed_extension_protocol_options as Record<string, Record<string, unknown>>)[HPO]!;
  assert.deepEqual(o.common_http_protocol_options, { max_requests_per_connection: 3 });
  assert.deepEqual(o.explicit_http_config, { http2_protocol_options: {} });
  const decoded = decodeCluster({ name: 'c', type: 'STATIC', typed_extension_protocol_options: c.typed_extension_protocol_options });
  assert.equal(decoded.pool.http2, true);
  assert.equal(decoded.pool.maxRequestsPerConnection, 3);
});

test('decode: http2 accepted; options it does not implement and both protocols are NACKed', () => {
  assert.equal(decodeCluster({ name: 'c', type: 'STATIC', typed_extension_protocol_options: H2 }).pool.http2, true);
  assert.equal(decodeCluster({ name: 'c', type: 'STATIC' }).pool.http2, undefined);
  const bad = (explicit: unknown, path: string): void => {
    const c = { name: 'c', type: 'STATIC', typed_extension_protocol_options: { [HPO]: { '@type': `type.googleapis.com/${HPO}`, explicit_http_config: explicit } } };
    assert.throws(() => decodeCluster(c), (e: unknown) => e instanceof ConfigRejection && e.path === path);
  };
  const p = `cluster c.typed_extension_protocol_options["${HPO}"].explicit_http_config`;
  bad({ http2_protocol_options: { max_concurrent_streams: 10 } }, `${p}.http2_protocol_options.max_concurrent_streams`);
  bad({ http2_protocol_options: {}, http_protocol_options: {} }, p);
});

test('header conversion drops connection-specific headers and keeps te: trailers only', () => {
  const h = toH2Headers(['connection', 'close', 'te', 'trailers, deflate', 'x-a', '1', 'x-a', '2', 'transfer-encoding', 'chunked'], { ':method': 'POST' });
  assert.deepEqual(h, { ':method': 'POST', te: 'trailers', 'x-a': ['1', '2'] });
  assert.deepEqual(toH2Headers(['te', 'gzip'], {}), {});
  assert.deepEqual(fromH2Headers({ ':status': '200', 'set-cookie': ['a=1', 'b=2'], 'x-b': 'y' }), ['set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-b', 'y']);
});

test('an h2 request without content-length and with a body is chunked for the exchange', () => {
  const body = requestHeadOf({ ':method': 'POST', ':path': '/svc/M', ':authority': 'a.b', 'content-type': 'application/grpc' }, false);
  assert.equal(body.chunked, true);
  assert.equal(body.host, 'a.b');
  const get = requestHeadOf({ ':method': 'GET', ':path': '/', ':authority': 'a' }, true);
  assert.equal(get.chunked, false);
  assert.equal(get.contentLength, -1);
  assert.equal(grpcStatusForHttp(503), 14);
  assert.equal(grpcStatusForHttp(404), 12);
});

async function sniffed(first: string): Promise<{ proto: string; data: string }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      const take = (proto: string) => (s: net.Socket): void => {
        s.resume();
        s.once('data', (d: Buffer) => {
          resolve({ proto, data: d.toString('latin1') });
          s.destroy();
          server.close();
        });
      };
      sniffProtocol(socket, take('h1'), take('h2'));
    });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => {
        // Split writes: the sniffer must wait for enough bytes.
        c.write(first.slice(0, 3));
        setTimeout(() => c.write(first.slice(3)), 20);
      });
      c.on('error', reject);
    });
  });
}

test('sniffer: the HTTP/2 preface goes to h2, anything else to h1, with the bytes put back', async () => {
  const pre = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  const h2 = await sniffed(pre);
  assert.equal(h2.proto, 'h2');
  assert.ok(h2.data.startsWith('PRI * HTTP/2.0'));
  const h1 = await sniffed('GET / HTTP/1.1\r\nhost: a\r\n\r\n');
  assert.equal(h1.proto, 'h1');
  assert.ok(h1.data.startsWith('GE'));
});

test('h2 cluster: one session per host, request head and chunked body become an h2 stream; trailers come back; max_requests gives UO', async () => {
  const { ClusterManager } = await import('../../upstream/cluster-manager.js');
  const http2 = (await import('node:http2')).default;
  const server = http2.createServer();
  const seen: Record<string, unknown>[] = [];
  server.on('stream', (stream, headers) => {
    seen.push({ ...headers });
    let body = '';
    stream.on('data', (d: Buffer) => (body += d.toString()));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'x-r': '1' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(`got:${body}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const cm = new ClusterManager();
  const cfg = decodeCluster({
    name: 'h2c',
    type: 'STATIC',
    connect_timeout: '1s',
    circuit_breakers: { thresholds: [{ max_requests: 1 }] },
    typed_extension_protocol_options: H2,
    load_assignment: { cluster_name: 'h2c', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  });
  cm.setClusters(new Map([['h2c', cfg]]));
  const host = cm.get('h2c')!.hosts[0]!;
  const exchange = (): Promise<{ status: number; body: string; trailers: string[] }> =>
    new Promise((resolve, reject) => {
      cm.acquire(host, 1000, (err, conn) => {
        if (err || !conn) return reject(err ?? new Error('no conn'));
        let status = 0;
        let body = '';
        conn.attach({
          method: 'POST',
          onInformational: () => {},
          onHead: (h) => (status = h.status),
          onBody: (d) => ((body += d.toString()), true),
          onEnd: (t) => resolve({ status, body, trailers: t }),
          onError: (e) => reject(e),
          batchStart: () => {},
          batchEnd: () => {},
        });
        conn.write('POST /svc/M HTTP/1.1\r\nhost: a.example\r\nconnection: keep-alive\r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n\r\n');
        conn.write('5\r\nhello\r\n');
        conn.write('0\r\n\r\n');
        conn.markRequestDone();
      });
    });
  const [a, b] = [await exchange(), await exchange()];
  assert.deepEqual(a, { status: 200, body: 'got:hello', trailers: ['grpc-status', '0'] });
  assert.equal(b.body, 'got:hello');
  const h = seen[0]!;
  assert.equal(h[':authority'], 'a.example');
  assert.equal(h[':path'], '/svc/M');
  assert.equal(h.te, 'trailers');
  assert.equal(h.connection, undefined);
  assert.equal(h['transfer-encoding'], undefined);
  // max_requests 1: with two requests already in flight on the host the next one overflows.
  host.active = 2;
  const flag = await new Promise<string>((resolve) => cm.acquire(host, 1000, (err) => resolve(err?.flag ?? '-')));
  assert.equal(flag, 'UO');
  host.active = 0;
  cm.setClusters(new Map());
  server.close();
});
