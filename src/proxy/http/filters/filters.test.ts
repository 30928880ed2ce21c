// Route filters, each alone: header mutations in Envoy's order, fault draws (delay before abort),
// CORS preflight and response headers, redirect Location, shadow host and head of a mirror copy,
// and one request's steps through RouteFilterRun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyHeaderOps, mutateHeaders } from './headers.js';
import { rollAbort, rollDelay } from './fault.js';
import { allowedOrigin, corsResponseHeaders, isPreflight, preflightHeaders } from './cors.js';
import { faultAbortReply, redirectLocation, serializeReply } from './local-reply.js';
import { RequestMirror, shadowHead, shadowHost } from './mirror.js';
import { RouteFilterRun } from './run.js';
import type { CorsConfig, RouteFilters } from './types.js';
import type { ClusterManager } from '../../upstream/cluster-manager.js';

test('header ops: removals first, then set (overwrite every value) and add (append), in order', () => {
  const h = ['a', '1', 'b', '2', 'a', '3', 'c', '4'];
  assert.deepEqual(applyHeaderOps(h, { remove: ['c'], add: [{ name: 'a', value: 'x', overwrite: true }, { name: 'b', value: 'y', overwrite: false }] }), ['b', '2', 'a', 'x', 'b', 'y']);
  assert.equal(applyHeaderOps(h, null), h);
  // The route's mutation runs after the cluster's, so its overwrite wins.
  const route = { request: { remove: [], add: [{ name: 'v', value: 'route', overwrite: true }] }, response: null };
  const cluster = { request: { remove: [], add: [{ name: 'v', value: 'cluster', overwrite: true }] }, response: null };
  assert.deepEqual(mutateHeaders([], 'request', route, cluster), ['v', 'route']);
  assert.deepEqual(mutateHeaders(['q', '1'], 'response', route, cluster), ['q', '1']);
});

test('fault: delay and abort drawn against their fractions; gRPC aborts are HTTP 200 with grpc-status', () => {
  const f = { delay: { ms: 20, fraction: 0.3 }, abort: { httpStatus: 503, grpcStatus: null, fraction: 0.5 } };
  assert.equal(rollDelay(f, () => 0.29), 20);
  assert.equal(rollDelay(f, () => 0.3), 0);
  assert.deepEqual(rollAbort(f, () => 0.49), { status: 503, grpcStatus: null });
  assert.equal(rollAbort(f, () => 0.5), null);
  assert.deepEqual(rollAbort({ delay: null, abort: { httpStatus: null, grpcStatus: 14, fraction: 1 } }, () => 0.99), { status: 200, grpcStatus: 14 });
  assert.equal(rollAbort({ delay: null, abort: { httpStatus: 503, grpcStatus: null, fraction: 0 } }, () => 0), null);
  const g = faultAbortReply(200, 14);
  assert.match(g.headers, /grpc-status: 14\r\n/);
  assert.equal(faultAbortReply(503, null).body, 'fault filter abort');
});

const CORS: CorsConfig = {
  origins: [{ kind: 'exact', value: 'https://a.com', ignoreCase: false }, { kind: 'prefix', value: 'https://dev.', ignoreCase: false }],
  allowMethods: 'GET,POST',
  allowHeaders: 'x-h',
  exposeHeaders: 'x-e',
  maxAge: '60',
  allowCredentials: true,
};

test('CORS: allowed origins, preflight detection and answers, response headers', () => {
  assert.equal(allowedOrigin(CORS, ['origin', 'https://a.com']), 'https://a.com');
  assert.equal(allowedOrigin(CORS, ['origin', 'https://dev.x']), 'https://dev.x');
  assert.equal(allowedOrigin(CORS, ['origin', 'https://evil.com']), undefined);
  assert.equal(allowedOrigin(CORS, []), undefined);
  assert.ok(isPreflight('OPTIONS', ['origin', 'o', 'access-control-request-method', 'POST']));
  assert.ok(!isPreflight('OPTIONS', ['origin', 'o']));
  assert.equal(preflightHeaders(CORS, 'https://a.com'), 'access-control-allow-origin: https://a.com\r\naccess-control-allow-credentials: true\r\naccess-control-allow-methods: GET,POST\r\naccess-control-allow-headers: x-h\r\naccess-control-max-age: 60\r\n');
  assert.deepEqual(corsResponseHeaders(CORS, 'https://a.com', ['access-control-allow-origin', '*', 'x', '1']), ['x', '1', 'access-control-allow-origin', 'https://a.com', 'access-control-allow-credentials', 'true', 'access-control-expose-headers', 'x-e']);
});

test('redirect Location: scheme, host, port and path replaced where configured; query kept', () => {
  const r = { kind: 'redirect' as const, status: 301, scheme: undefined, host: undefined, port: undefined, path: undefined };
  assert.equal(redirectLocation({ ...r, path: '/new' }, 'a.com:8080', '/old', 'q=1'), 'http://a.com:8080/new?q=1');
  assert.equal(redirectLocation({ ...r, scheme: 'https', host: 'b.com', port: 8443 }, 'a.com', '/p', ''), 'https://b.com:8443/p');
  assert.equal(redirectLocation({ ...r, scheme: 'https' }, 'a.com:80', '/p', ''), 'https://a.com/p');
  assert.equal(redirectLocation({ ...r, host: 'b.com' }, 'a.com:80', '/p', ''), 'http://b.com/p');
  const bytes = serializeReply({ status: 301, headers: 'location: x\r\n', body: '', flag: '-' }, false, false).toString('latin1');
  assert.equal(bytes, 'HTTP/1.1 301 Moved Permanently\r\nlocation: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
});

test('mirror copies: "-shadow" before the port; head re-framed by content-length', () => {
  assert.equal(shadowHost('reviews'), 'reviews-shadow');
  assert.equal(shadowHost('reviews.default.svc.cluster.local:9080'), 'reviews.default.svc.cluster.local-shadow:9080');
  assert.equal(shadowHost('[::1]:80'), '[::1]-shadow:80');
  const head = 'POST /x HTTP/1.1\r\nhost: reviews:80\r\nx-a: 1\r\ntransfer-encoding: chunked\r\n\r\n';
  assert.equal(shadowHead(head, 5), 'POST /x HTTP/1.1\r\nhost: reviews-shadow:80\r\nx-a: 1\r\ncontent-length: 5\r\n\r\n');
  assert.equal(shadowHead('GET / HTTP/1.1\r\nhost: a\r\n\r\n', 0), 'GET / HTTP/1.1\r\nhost: a-shadow\r\n\r\n');
});

test('mirror: percentage draw, 64 KiB body limit, copies sent once the body is complete', () => {
  const sent: string[] = [];
  const clusters = {
    get: (name: string) => ({ config: { connectTimeoutMs: 1000 }, pick: () => ({ name }) }),
    acquire: (_h: unknown, _t: number, cb: (err: null, c: unknown) => void) => {
      cb(null, { attach: () => {}, write: (d: Buffer | string) => sent.push(String(d)), markRequestDone: () => {}, onRelease: null });
      return () => {};
    },
  } as unknown as ClusterManager;
  const mirrors = [{ cluster: 'm', fraction: 0.5 }];
  assert.equal(RequestMirror.start(clusters, mirrors, 'GET', 'GET / HTTP/1.1\r\nhost: a\r\n\r\n', 0, () => 0.5), null);
  assert.equal(RequestMirror.start(clusters, mirrors, 'POST', 'x', 70_000, () => 0), null, 'over 64 KiB: not mirrored');
  const m = RequestMirror.start(clusters, mirrors, 'POST', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\n', 3, () => 0.1)!;
  m.data(Buffer.from('abc'));
  assert.equal(sent.length, 0, 'nothing before the body ends');
  m.end();
  assert.deepEqual(sent, ['POST / HTTP/1.1\r\nhost: a-shadow\r\ncontent-length: 3\r\n\r\n', 'abc']);
  const chunked = RequestMirror.start(clusters, mirrors, 'POST', 'POST / HTTP/1.1\r\nhost: a\r\n\r\n', -1, () => 0)!;
  chunked.data(Buffer.alloc(65 * 1024));
  chunked.end();
  assert.equal(sent.length, 2, 'a chunked body that outgrew 64 KiB is not mirrored');
});

function filters(over: Partial<RouteFilters>): RouteFilters {
  return { fault: null, cors: null, local: null, mirrors: [], headers: { request: null, response: null }, perCluster: new Map(), ...over };
}
const view = (method: string, headers: string[] = []) => ({ method, authority: 'a.com', path: '/p', query: '', headers });

test('one request through the filters: preflight, delay then abort (DI,FI), local answers', () => {
  const pre = new RouteFilterRun(filters({ cors: CORS, fault: { delay: null, abort: { httpStatus: 503, grpcStatus: null, fraction: 1 } } }), view('OPTIONS', ['origin', 'https://a.com', 'access-control-request-method', 'GET']));
  const step = pre.decode();
  assert.equal(step.kind, 'reply', 'the preflight is answered before the fault filter');
  assert.equal(step.kind === 'reply' && step.reply.status, 200);

  const run = new RouteFilterRun(filters({ fault: { delay: { ms: 20, fraction: 1 }, abort: { httpStatus: 503, grpcStatus: null, fraction: 1 } } }), view('GET'), () => 0);
  assert.deepEqual(run.decode(), { kind: 'delay', ms: 20 });
  const after = run.afterDelay();
  assert.equal(after.kind === 'reply' && after.reply.status, 503);
  assert.equal(run.flagsFor(after.kind === 'reply' ? after.reply : null), 'DI,FI');

  const direct = new RouteFilterRun(filters({ local: { kind: 'direct', status: 418, body: 'tea' }, headers: { request: null, response: { remove: [], add: [{ name: 'x-r', value: '1', overwrite: true }] } } }), view('GET'));
  const d = direct.decode();
  assert.ok(d.kind === 'reply' && d.reply.status === 418 && d.reply.headers.includes('x-r: 1\r\n'), 'route response headers apply to direct responses');
  assert.deepEqual(new RouteFilterRun(filters({}), view('GET')).decode(), { kind: 'continue' });
});
