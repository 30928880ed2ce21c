// TCP keepalive read back from the kernel (getsockopt through our addon): the idle time, interval
// and probe count a cluster's tcp_keepalive asks for are on the real upstream socket, set by the
// same functions the proxy uses (applyTcpKeepalive, and connectTcpUpstream for the TCP proxy).
// Fails when the addon is not built: the build (scripts/build-native.sh) must produce it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { applyTcpKeepalive, keepaliveAddon, keepaliveAddonError, readTcpKeepalive } from './tcp-keepalive.js';
import { connectTcpUpstream } from './tcp-upstream.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { decodeCluster } from '../config/decode-cluster.js';

const HOST = '127.0.42.1';

async function listen(): Promise<{ port: number; close: () => void }> {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => sockets.push(s.on('error', () => undefined)));
  await new Promise<void>((r) => srv.listen(0, HOST, r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

test('keepalive-addon-is-built', () => {
  assert.ok(keepaliveAddon(), `dist/native/tcp-keepalive.node did not load: ${keepaliveAddonError()}`);
});

test('keepalive-idle-interval-probes-read-back-from-a-real-socket', async () => {
  const srv = await listen();
  const sock = net.connect({ host: HOST, port: srv.port });
  // Before the connect, as the connection pool calls it.
  applyTcpKeepalive(sock, { timeMs: 7_000, intervalMs: 3_000, probes: 4 });
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  // Our 'connect' listener ran first (registered first): the options are set now.
  assert.deepEqual(readTcpKeepalive(sock), { enabled: true, idleSeconds: 7, intervalSeconds: 3, probes: 4 });
  // Called again on a connected socket: applied at once.
  applyTcpKeepalive(sock, { timeMs: 60_000, intervalMs: 10_000, probes: 2 });
  assert.deepEqual(readTcpKeepalive(sock), { enabled: true, idleSeconds: 60, intervalSeconds: 10, probes: 2 });
  sock.destroy();
  await new Promise<void>((r) => sock.once('close', () => r()));
  // A closed socket: nothing to read, and configuring it does not throw.
  assert.equal(readTcpKeepalive(sock), null);
  applyTcpKeepalive(sock, { timeMs: 1_000, intervalMs: 1_000, probes: 1 });
  srv.close();
});

test('keepalive-addon-validates-its-arguments', () => {
  const ka = keepaliveAddon();
  assert.ok(ka);
  assert.throws(() => ka.set(-1, 1, 1, 1), /fd must be an integer/);
  assert.throws(() => ka.set(0, 1, 1, 1000), /probes must be an integer in 0..127/);
  assert.throws(() => (ka.set as unknown as (...a: unknown[]) => void)('3', 1, 1, 1), /fd must be a number/);
  assert.throws(() => (ka.get as unknown as () => void)(), /takes 1 argument/);
  // A descriptor that is not open: an error, not a crash.
  assert.throws(() => ka.get(1_000_000), /Bad file descriptor/);
});

test('tcp-proxy-upstream-socket-gets-the-cluster-keepalive', async () => {
  const srv = await listen();
  const name = 'outbound|7000||ka.default.svc.cluster.local';
  const clusters = new ClusterManager();
  clusters.setClusters(
    new Map([
      [
        name,
        decodeCluster({
          name,
          type: 'STATIC',
          connect_timeout: '5s',
          lb_policy: 'ROUND_ROBIN',
          upstream_connection_options: { tcp_keepalive: { keepalive_probes: 5, keepalive_time: 11, keepalive_interval: 2 } },
          load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: HOST, port_value: srv.port } } } }] }] },
        }),
      ],
    ]),
  );
  const cluster = clusters.get(name)!;
  const host = cluster.pick()!;
  const r = await new Promise<Parameters<Parameters<typeof connectTcpUpstream>[2]>[0]>((resolve) => connectTcpUpstream(cluster, host, resolve));
  assert.ok(r.ok, 'connected');
  assert.deepEqual(readTcpKeepalive(r.socket), { enabled: true, idleSeconds: 11, intervalSeconds: 2, probes: 5 });
  r.socket.destroy();
  srv.close();
});
