import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { AccessLogEntry } from './entry.js';
import { compileJsonFormat, compileTextFormat, ISTIO_DEFAULT_JSON_FORMAT, ISTIO_DEFAULT_TEXT_FORMAT, textFormatProblem } from './format.js';

/** 2026-11-22T09:29:14.123Z plus 0.456 ms. */
const START = Date.UTC(2026, 10, 22, 9, 29, 14, 123) + 0.456;

function entry(): AccessLogEntry {
  const e = new AccessLogEntry();
  e.startMs = START;
  e.durationMs = 12.7;
  e.requestDurationMs = 1.2;
  e.responseDurationMs = 9.9;
  e.protocol = 'HTTP/1.1';
  e.method = 'POST';
  e.path = '/orders?id=7';
  e.authority = 'order.shop.svc.cluster.local';
  e.scheme = 'http';
  e.requestHeaders = ['user-agent', 'curl/8.0', 'x-request-id', 'abc-123', 'x-envoy-original-path', '/original', 'x-long', 'abcdefghij'];
  e.responseHeaders = ['content-type', 'application/json', 'x-envoy-upstream-service-time', '7'];
  e.responseTrailers = ['grpc-status', '0'];
  e.responseCode = 201;
  e.flags = '-';
  e.details = 'via_upstream';
  e.bytesReceived = 17;
  e.bytesSent = 42;
  e.upstreamHost = '127.0.1.5:80';
  e.upstreamCluster = 'outbound|80||order.shop.svc.cluster.local';
  e.upstreamLocal = '127.0.1.1:40000';
  e.downstreamLocal = '127.0.1.1:15001';
  e.downstreamRemote = '127.0.1.1:39999';
  e.routeName = 'orders';
  e.attempts = 2;
  e.grpcStatus = '0';
  return e;
}

const fmt = (f: string, e = entry()): string => compileTextFormat(f)(e);

test('every operator renders from the entry; missing values are "-"', () => {
  const cases: [string, string][] = [
    ['%START_TIME%', '2026-11-22T09:29:14.123Z'],
    ['%START_TIME(%Y/%m/%d %H:%M:%S %z %Z)%', '2026/11/22 09:29:14 +0000 UTC'],
    ['%START_TIME(%s.%3f)%', `${Math.floor(START / 1000)}.123`],
    ['%START_TIME(%E6S|%6f|%f|%T|%F|%y|%j|%%)%', '14.123456|123456|123456000|09:29:14|2026-11-22|26|326|%'],
    ['%REQ(:METHOD)% %REQ(:PATH)% %REQ(:AUTHORITY)% %REQ(:SCHEME)%', 'POST /orders?id=7 order.shop.svc.cluster.local http'],
    ['%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%', '/original'],
    ['%REQ(X-NONE?:PATH)%', '/orders?id=7'],
    ['%REQ(USER-AGENT)% %REQ(X-REQUEST-ID)% %REQ(X-MISSING)%', 'curl/8.0 abc-123 -'],
    ['%REQ(X-LONG):4%', 'abcd'],
    ['%RESP(CONTENT-TYPE)% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %RESP(X-NONE)%', 'application/json 7 -'],
    ['%TRAILER(GRPC-STATUS)% %TRAILER(X-NONE)%', '0 -'],
    ['%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%', '201 - via_upstream -'],
    ['%DURATION% %REQUEST_DURATION% %RESPONSE_DURATION% %RESPONSE_TX_DURATION%', '12 1 9 2'],
    ['%BYTES_RECEIVED% %BYTES_SENT% %PROTOCOL%', '17 42 HTTP/1.1'],
    ['%UPSTREAM_HOST% %UPSTREAM_CLUSTER% %UPSTREAM_CLUSTER_RAW%', '127.0.1.5:80 outbound|80||order.shop.svc.cluster.local outbound|80||order.shop.svc.cluster.local'],
    ['%UPSTREAM_LOCAL_ADDRESS% %UPSTREAM_TRANSPORT_FAILURE_REASON% %UPSTREAM_REQUEST_ATTEMPT_COUNT%', '127.0.1.1:40000 - 2'],
    ['%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%', '127.0.1.1:15001 127.0.1.1:39999'],
    ['%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', '127.0.1.1 127.0.1.1'],
    ['%DOWNSTREAM_PEER_URI_SAN% %UPSTREAM_PEER_URI_SAN% %REQUESTED_SERVER_NAME%', '- - -'],
    ['%ROUTE_NAME% %GRPC_STATUS% %HOSTNAME%', `orders 0 ${os.hostname()}`],
    ['100% literal %', '100% literal %'],
  ];
  for (const [f, want] of cases) assert.equal(fmt(f), want, f);
});

test("Istio's default TEXT format renders a 200 and a 503 UF line as Istio does", () => {
  assert.equal(
    fmt(ISTIO_DEFAULT_TEXT_FORMAT),
    '[2026-11-22T09:29:14.123Z] "POST /original HTTP/1.1" 201 - via_upstream - "-" 17 42 12 7 "-" "curl/8.0" "abc-123" ' +
      '"order.shop.svc.cluster.local" "127.0.1.5:80" outbound|80||order.shop.svc.cluster.local 127.0.1.1:40000 ' +
      '127.0.1.1:15001 127.0.1.1:39999 - orders\n',
  );
  const e = new AccessLogEntry();
  e.startMs = START;
  e.durationMs = 3;
  e.protocol = 'HTTP/1.1';
  e.method = 'GET';
  e.path = '/';
  e.authority = 'dead';
  e.responseCode = 503;
  e.flags = 'UF,URX';
  e.details = 'upstream_reset_before_response_started{connection_failure}';
  e.transportFailureReason = 'connect_ECONNREFUSED';
  e.bytesSent = 91;
  e.upstreamHost = '127.0.0.9:9';
  e.upstreamCluster = 'outbound|80||dead';
  assert.equal(
    fmt(ISTIO_DEFAULT_TEXT_FORMAT, e),
    '[2026-11-22T09:29:14.123Z] "GET / HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure} - ' +
      '"connect_ECONNREFUSED" 0 91 3 - "-" "-" "-" "dead" "127.0.0.9:9" outbound|80||dead - - - - -\n',
  );
});

test('JSON: a lone operator keeps its type, missing is null, mixed text is a string, maps nest', () => {
  const e = entry();
  e.upstreamHost = undefined;
  const line = compileJsonFormat({ code: '%RESPONSE_CODE%', host: '%UPSTREAM_HOST%', d: '%DURATION%', text: '%REQ(:METHOD)% %UPSTREAM_HOST%', lit: 'x', n: 5, nested: { ua: '%REQ(USER-AGENT)%' } })(e);
  assert.ok(line.endsWith('}\n'));
  assert.deepEqual(JSON.parse(line), { code: 201, host: null, d: 12, text: 'POST -', lit: 'x', n: 5, nested: { ua: 'curl/8.0' } });
  const odd = entry();
  odd.requestHeaders = ['user-agent', 'a "quoted"\\ value\u0001'];
  assert.deepEqual(JSON.parse(compileJsonFormat({ ua: '%REQ(USER-AGENT)%', t: 'x %REQ(USER-AGENT)%' })(odd)), { ua: 'a "quoted"\\ value\u0001', t: 'x a "quoted"\\ value\u0001' });
  const istio = JSON.parse(compileJsonFormat(ISTIO_DEFAULT_JSON_FORMAT)(entry())) as Record<string, unknown>;
  assert.equal(istio.response_code, 201);
  assert.equal(istio.bytes_sent, 42);
  assert.equal(istio.path, '/original');
  assert.equal(istio.upstream_cluster, 'outbound|80||order.shop.svc.cluster.local');
  assert.equal(istio.requested_server_name, null);
});

test('bad formats are errors naming the operator', () => {
  assert.match(textFormatProblem('%NOT_AN_OPERATOR%') ?? '', /unsupported operator %NOT_AN_OPERATOR%/);
  assert.match(textFormatProblem('%REQ()%') ?? '', /needs a header name/);
  assert.match(textFormatProblem('%DURATION(x)%') ?? '', /takes no arguments/);
  assert.match(textFormatProblem('%START_TIME(%Q)%') ?? '', /unsupported time specifier %Q/);
  assert.match(textFormatProblem('%REQ(:PATH') ?? '', /not closed/);
  assert.equal(textFormatProblem(ISTIO_DEFAULT_TEXT_FORMAT), undefined);
});
