// TCP connections are logged by the TCP proxy when they close (or fail to open), on real sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TcpProxy } from '../../network/tcp-proxy.js';
import { ClusterManager } from '../../upstream/cluster-manager.js';
import { Registry } from '../../../telemetry/prom.js';
import { TcpMetrics } from '../tcp-metrics.js';
import { NO_HCM } from '../../config/decode-tcp-proxy.js';
import { decodeCluster } from '../../config/decode-cluster.js';
import { decodeAccessLogs } from './decode.js';
import { FILE_ACCESS_LOG_TYPE_URL } from '../../../xds/telemetry-filters.js';
import type { ListenerConfig } from '../../config/types.js';

const LOG = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-tcplog-')), 'tcp.log');
const FORMAT = '%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %BYTES_RECEIVED% %BYTES_SENT% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% %PROTOCOL% %REQ(:METHOD)% %DOWNSTREAM_LOCAL_ADDRESS%\n';

async function listen(onSocket: (s: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const srv = net.createServer({ allowHalfOpen: true }, onSocket);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

function clusterTo(name: string, port: number): ClusterManager {
  const clusters = new ClusterManager();
  const cfg = decodeCluster({
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  });
  clusters.setClusters(new Map([[name, cfg]]));
  return clusters;
}

function listener(cluster: string): ListenerConfig {
  const accessLog = decodeAccessLogs([{ name: 'f', typed_config: { '@type': FILE_ACCESS_LOG_TYPE_URL, path: LOG, log_format: { text_format_source: { inline_string: FORMAT } } } }], 'a')!;
  return { name: 'l', address: '127.0.0.1', port: 1, direction: 'OUTBOUND', hcm: NO_HCM, tcpProxy: { statPrefix: 'l', clusters: [{ name: cluster, weight: 1 }], totalWeight: 1, accessLog } };
}

async function logLines(n: number): Promise<string[]> {
  const read = (): string[] => (fs.existsSync(LOG) ? fs.readFileSync(LOG, 'utf8').split('\n').filter((l) => l !== '') : []);
  for (let i = 0; i < 2000 && read().length < n; i++) await new Promise((r) => setTimeout(r, 5));
  return read();
}

test('tcp-access-log: a proxied connection and a refused one are each logged once, with bytes and flags', async () => {
  const up = await listen((s) => {
    s.on('data', (d: Buffer) => s.write(Buffer.concat([d, d])));
    s.on('end', () => s.end());
  });
  const name = 'outbound|7000||echo.default.svc.cluster.local';
  const self = { workload: 'c', namespace: 'default', app: 'c', version: 'v1', serviceAccount: 'c', principal: '', cluster: 'K' };
  const proxy = new TcpProxy({ clusters: clusterTo(name, up.port), metrics: new TcpMetrics(new Registry()), self });
  const front = await listen((s) => proxy.accept(s, listener(name)));
  const c = net.connect({ port: front.port, host: '127.0.0.1', allowHalfOpen: true });
  let got = 0;
  c.on('data', (d: Buffer) => (got += d.length));
  c.write('hello');
  c.end();
  await new Promise<void>((r) => c.once('close', () => r()));
  assert.equal(got, 10);
  const [ok] = await logLines(1);
  assert.equal(ok, `- - 5 10 127.0.0.1:${up.port} ${name} - - 127.0.0.1:${front.port}`);

  up.close(); // the listening socket closes now: the next connect is refused
  const dead = net.connect({ port: front.port, host: '127.0.0.1' });
  dead.on('error', () => undefined);
  await new Promise<void>((r) => dead.once('close', () => r()));
  const lines = await logLines(2);
  assert.match(lines[1] ?? '', new RegExp(`^UF upstream_connection_failure 0 0 127\\.0\\.0\\.1:${up.port} `));
  front.close();
});
