import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAccessLogs } from './decode.js';
import { AccessLogEntry } from './entry.js';
import { celTest } from '../../../cel/cel.js';
import { CEL_FILTER_TYPE_URL, FILE_ACCESS_LOG_TYPE_URL } from '../../../xds/telemetry-filters.js';
import { decodeListener } from '../../config/decode-listener.js';

const file = (extra: Record<string, unknown> = {}, tc: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'envoy.access_loggers.file',
  typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path: '/dev/stdout', ...tc },
  ...extra,
});

test('file loggers: text, JSON, Envoy default format, CEL filter', () => {
  const [text, json, dflt, filtered] = decodeAccessLogs(
    [
      file({}, { log_format: { text_format_source: { inline_string: '%RESPONSE_CODE%\n' } } }),
      file({}, { log_format: { json_format: { c: '%RESPONSE_CODE%' } } }),
      file(),
      file({ filter: { extension_filter: { name: 'cel', typed_config: { '@type': CEL_FILTER_TYPE_URL, expression: 'response.code >= 400' } } } }),
    ],
    'access_log',
  )!;
  const e = new AccessLogEntry();
  e.responseCode = 404;
  e.method = 'GET';
  assert.equal(text!.format(e), '404\n');
  assert.equal(json!.format(e), '{"c":404}\n');
  assert.match(dflt!.format(e), /^\[.*\] "GET - -" 404 - 0 0 0 - "-" "-" "-" "-" "-"\n$/);
  assert.equal(celTest(filtered!.filter!, e), true);
  e.responseCode = 200;
  assert.equal(celTest(filtered!.filter!, e), false);
  assert.equal(decodeAccessLogs(undefined, 'x'), undefined);
});

test('anything else is a NACK naming the field', () => {
  const bad: [unknown, RegExp][] = [
    [[file({}, { path: '' })], /access_log\[0\]\.typed_config\.path/],
    [[{ name: 'grpc', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig' } }], /only envoy\.access_loggers\.file/],
    [[file({}, { log_format: { text_format_source: { inline_string: '%NOPE%' } } })], /log_format: unsupported operator %NOPE%/],
    [[file({}, { log_format: { omit_empty_values: true, text_format: 'x' } })], /log_format\.omit_empty_values: field not supported/],
    [[file({}, { access_log_format: 'x' })], /typed_config\.access_log_format: field not supported/],
    [[file({ filter: { status_code_filter: {} } })], /filter\.status_code_filter: field not supported/],
    [[file({ filter: { extension_filter: { typed_config: { '@type': CEL_FILTER_TYPE_URL, expression: 'x.y == 1' } } } })], /expression: unknown attribute x\.y/],
  ];
  for (const [v, re] of bad) assert.throws(() => decodeAccessLogs(v, 'access_log'), re);
});

test('listeners carry access logs on the HCM and on tcp_proxy', () => {
  const hcm = decodeListener({
    name: 'l',
    address: { socket_address: { address: '127.0.0.1', port_value: 80 } },
    filter_chains: [{ filters: [{ name: 'hcm', typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'x', route_config: { name: 'r', virtual_hosts: [] }, access_log: [file()],
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
    } }] }],
  });
  assert.equal(hcm.hcm.accessLog?.length, 1);
  const tcp = decodeListener({
    name: 't',
    address: { socket_address: { address: '127.0.0.1', port_value: 81 } },
    filter_chains: [{ filters: [{ name: 'tcp', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: 's', cluster: 'c', access_log: [file()] } }] }],
  });
  assert.equal(tcp.tcpProxy?.accessLog?.length, 1);
});
