import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterManager } from './cluster-manager.js';
import { decodeCluster } from '../config/decode-cluster.js';
import { egressClusters } from '../../control/translate/passthrough.js';
import { MAX_DESTINATIONS, originalDstHost, parseDestination } from './original-dst.js';
import { ProxyError } from '../errors.js';

function uh(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ProxyError && e.flag === 'UH' && re.test(e.message));
}

test('original-dst: destinations from the authority (names, IPv4, IPv6, default port 80)', () => {
  assert.deepEqual(parseDestination('example.com'), { address: 'example.com', port: 80 });
  assert.deepEqual(parseDestination('Example.COM:8080'), { address: 'example.com', port: 8080 });
  assert.deepEqual(parseDestination('127.0.71.2:9000'), { address: '127.0.71.2', port: 9000 });
  assert.deepEqual(parseDestination('[::1]:8443'), { address: '::1', port: 8443 });
  assert.deepEqual(parseDestination('[::1]'), { address: '::1', port: 80 });
});

test('original-dst: unusable authorities are 503 UH (no host, bad port, bad name), never a crash', () => {
  uh(() => parseDestination(''), /no host/);
  uh(() => parseDestination(':80'), /no host/);
  uh(() => parseDestination('example.com:'), /bad port/);
  uh(() => parseDestination('example.com:0'), /bad port/);
  uh(() => parseDestination('example.com:65536'), /bad port/);
  uh(() => parseDestination('example.com:8x'), /bad port/);
  uh(() => parseDestination('exa mple.com'), /bad host/);
  uh(() => parseDestination('user@example.com'), /bad host/);
  uh(() => parseDestination('[::1'), /bad host/);
  uh(() => parseDestination('[zz]:80'), /bad IPv6/);
  uh(() => parseDestination('[::1]x'), /bad host/);
  uh(() => parseDestination(`${'a'.repeat(254)}`), /bad host/);
});

function passthroughCluster(): { cm: ClusterManager; name: string } {
  const cm = new ClusterManager();
  const cfgs = egressClusters().map((c) => decodeCluster(c));
  cm.setClusters(new Map(cfgs.map((c) => [c.name, c])));
  return { cm, name: 'PassthroughCluster' };
}

test('original-dst: one host per destination, reused, kept across config updates, bounded', () => {
  const { cm, name } = passthroughCluster();
  const rt = cm.get(name)!;
  const self = { localAddress: '127.0.70.1', localPort: 15001 };
  const a = originalDstHost(cm, rt, 'a.example:8080', [], self);
  assert.equal(a.key, 'a.example:8080');
  assert.equal(originalDstHost(cm, rt, 'A.example:8080', [], self), a);
  assert.deepEqual(rt.hosts, [a]);
  assert.equal(a.stats, rt.pool.stats, 'counted in the cluster stats of PassthroughCluster');
  // A CDS update (same or changed config) keeps the destinations: EDS/static rebuilds skip them.
  cm.setEndpoints(new Map());
  assert.deepEqual(cm.get(name)!.hosts, [a]);
  // Busy hosts stay; beyond the cap the least recently used idle ones go.
  a.active = 1;
  for (let i = 0; i < MAX_DESTINATIONS + 10; i++) originalDstHost(cm, cm.get(name)!, `10.0.${i >> 8}.${i & 255}`, [], self);
  const hosts = cm.get(name)!.hosts;
  assert.equal(hosts.length, MAX_DESTINATIONS);
  assert.ok(hosts.includes(a));
  assert.equal(hosts.some((h) => h.address === '10.0.0.0'), false, 'the oldest idle destination was dropped');
  assert.ok(hosts.some((h) => h.address === `10.0.1.${(MAX_DESTINATIONS + 9) & 255}`));
});

test('original-dst: the proxy\'s own listener is never a destination; another header can carry it', () => {
  const { cm, name } = passthroughCluster();
  const rt = cm.get(name)!;
  uh(() => originalDstHost(cm, rt, '127.0.70.1:15001', [], { localAddress: '127.0.70.1', localPort: 15001 }), /this proxy/);
  const custom = decodeCluster({ ...egressClusters()[0], name: 'od', original_dst_lb_config: { use_http_header: true } });
  cm.setClusters(new Map([['od', custom]]));
  const od = cm.get('od')!;
  const h = originalDstHost(cm, od, 'ignored.example', ['x-envoy-original-dst-host', '10.1.2.3:81'], {});
  assert.equal(h.key, '10.1.2.3:81');
  uh(() => originalDstHost(cm, od, 'ignored.example', [], {}), /no host/);
});
