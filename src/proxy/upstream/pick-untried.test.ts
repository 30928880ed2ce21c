// A retry's host pick with previous_hosts: least request must not keep choosing the host that
// just failed (a dead endpoint never has requests in flight, so two random choices favour it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterManager } from './cluster-manager.js';
import { decodeCluster } from '../config/decode-cluster.js';

function clusterWith(lbPolicy: string, ports: number[]): ClusterManager {
  const cm = new ClusterManager();
  const cfg = decodeCluster({
    name: 'c',
    type: 'STATIC',
    connect_timeout: '1s',
    lb_policy: lbPolicy,
    load_assignment: {
      cluster_name: 'c',
      endpoints: [{ lb_endpoints: ports.map((p) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } })) }],
    },
  });
  cm.setClusters(new Map([['c', cfg]]));
  return cm;
}

test('pickUntried: least request with two hosts never returns the tried one', () => {
  const c = clusterWith('LEAST_REQUEST', [1001, 1002]).get('c')!;
  const [dead, live] = c.hosts as [typeof c.hosts[0], typeof c.hosts[0]];
  live.active = 5; // the live host is busy; the dead one is idle and would win two choices
  let fromPick = 0;
  for (let i = 0; i < 200; i++) {
    assert.equal(c.pickUntried([dead]), live);
    if (c.pick() === dead) fromPick++;
  }
  assert.ok(fromPick > 100, `a plain pick favours the idle host (${fromPick}/200): the case pickUntried exists for`);
});

test('pickUntried: every host tried → picks among all; nothing tried → a normal pick', () => {
  const c = clusterWith('ROUND_ROBIN', [1001, 1002, 1003]).get('c')!;
  const all = [...c.hosts];
  for (let i = 0; i < 10; i++) assert.ok(all.includes(c.pickUntried(all)!));
  const seen = new Set([0, 1, 2, 3, 4, 5].map(() => c.pickUntried([])));
  assert.equal(seen.size, 3);
  const twoTried = all.slice(0, 2);
  for (let i = 0; i < 10; i++) assert.equal(c.pickUntried(twoTried), all[2]);
});
