// Priority levels (Envoy's priority load with overprovisioning 1.4 and panic), decoded from EDS
// localities/priorities, picked per level by a real ClusterRuntime with outlier ejections, and
// the retry controller's previous_priorities (update_frequency 2) skipping tried levels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distributeLoad, levelHealth, priorityState, chooseLevel } from './priority.js';
import { Host } from '../host.js';
import { ClusterManager, type ClusterRuntime } from '../cluster-manager.js';
import { decodeCluster, decodeEndpoints } from '../../config/decode-cluster.js';
import { edsCluster, lbEndpoint, rejects } from '../../config/decode-fixtures.js';
import type { OutlierClock } from '../outlier/detector.js';
import { RetryController } from '../../http/retry/controller.js';
import { decodeRetryPolicy } from '../../config/decode-retry.js';
import { retryPolicyJson } from '../../../control/translate/retry.js';
import type { RouteAction } from '../../config/types.js';

const hosts = (n: number, priority = 0): Host[] =>
  Array.from({ length: n }, (_, i) => new Host(`127.0.0.${i + 1}`, 80 + priority, { address: `127.0.0.${i + 1}`, port: 80 + priority, weight: 1, workload: undefined, serviceAccount: undefined, priority }));

test('level health is 140% of the healthy share, capped at 100', () => {
  assert.equal(levelHealth(10, 10), 100);
  assert.equal(levelHealth(72, 100), 100);
  assert.equal(levelHealth(71, 100), 99);
  assert.equal(levelHealth(1, 2), 70);
  assert.equal(levelHealth(0, 4), 0);
  assert.equal(levelHealth(0, 0), 0);
});

test("priority load follows Envoy's table: spill to P1 as P0's healthy share drops", () => {
  // Envoy's documented two-level examples (P1 fully healthy).
  const p0 = (healthyOf100: number): number[] => distributeLoad([levelHealth(healthyOf100, 100), 100]);
  assert.deepEqual(p0(100), [100, 0]);
  assert.deepEqual(p0(72), [100, 0]);
  assert.deepEqual(p0(71), [99, 1]);
  assert.deepEqual(p0(50), [70, 30]);
  assert.deepEqual(p0(25), [35, 65]);
  assert.deepEqual(p0(0), [0, 100]);
  // Total availability below 100: loads are scaled up to sum to 100 (Envoy: 10/20/10 → 25/50/25).
  assert.deepEqual(distributeLoad([10, 20, 10]), [25, 50, 25]);
  assert.deepEqual(distributeLoad([0, 0]), []);
});

test('chooseLevel maps a draw in [0, 100) onto the load', () => {
  assert.equal(chooseLevel([70, 30], 0), 0);
  assert.equal(chooseLevel([70, 30], 69), 0);
  assert.equal(chooseLevel([70, 30], 70), 1);
  assert.equal(chooseLevel([0, 100], 0), 1);
  assert.equal(chooseLevel([], 5), -1);
});

test('panic: a level below the threshold picks among all its hosts; all levels in panic share by host count', () => {
  const a = hosts(2, 0);
  const b = hosts(2, 1);
  const all = (): boolean => true;
  // Nothing healthy: every level in panic, load by host count, all hosts eligible.
  const s = priorityState([a, b], all, 50);
  assert.deepEqual(s.load, [50, 50]);
  assert.deepEqual(s.eligible, [a, b]);
  // P0 empty of healthy hosts (in panic, but no load), P1 at 50% (not below 50): P1 takes all.
  const ejected = new Set([a[0]!, a[1]!, b[0]!]);
  const partial = priorityState([a, b], (h) => ejected.has(h), 50);
  assert.deepEqual(partial.load, [0, 100]);
  assert.deepEqual(partial.eligible, [a, [b[1]]]);
  // Panic disabled: loads by health, healthy hosts only.
  const off = priorityState([a, b], (h) => ejected.has(h), 0);
  assert.deepEqual(off.load, [0, 100]);
  assert.deepEqual(off.eligible, [[], [b[1]]]);
  // Nothing healthy and panic disabled: all load to P0, which has no eligible host (UH).
  const none = priorityState([a], () => true, 0);
  assert.deepEqual(none.load, [100]);
  assert.deepEqual(none.eligible, [[]]);
});

test('EDS priority and locality decode; bad values are refused with the field path', () => {
  const eps = decodeEndpoints({
    cluster_name: 'c',
    endpoints: [
      { locality: { region: 'r1', zone: 'a' }, lb_endpoints: [lbEndpoint('127.0.40.1', 80)], load_balancing_weight: 1 },
      { locality: { region: 'r1', zone: 'b', sub_zone: 's' }, lb_endpoints: [lbEndpoint('127.0.40.2', 80)], priority: 1 },
    ],
  }, 'cla c');
  assert.deepEqual(eps.map((e) => [e.address, e.priority ?? 0, e.locality]), [['127.0.40.1', 0, 'r1/a'], ['127.0.40.2', 1, 'r1/b/s']]);
  rejects(() => decodeEndpoints({ cluster_name: 'c', endpoints: [{ priority: -1, lb_endpoints: [] }] }, 'cla c'), 'cla c.endpoints[0].priority');
  rejects(() => decodeEndpoints({ cluster_name: 'c', endpoints: [{ locality: { region: 'r', planet: 'x' }, lb_endpoints: [] }] }, 'cla c'), 'cla c.endpoints[0].locality.planet');
});

/** A clock whose intervals never fire (ejections stay until the test says). */
const stillClock: OutlierClock = { now: () => 0, every: () => () => {} };

function clusterWith(levels: string[][], outlier = true): ClusterRuntime {
  const name = 'outbound|80||loc.default.svc.cluster.local';
  const cm = new ClusterManager({ clock: stillClock });
  const over = outlier ? { outlier_detection: { consecutive_5xx: 1, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 100, enforcing_consecutive_5xx: 100, enforcing_consecutive_gateway_failure: 0, enforcing_success_rate: 0 } } : {};
  cm.setClusters(new Map([[name, decodeCluster(edsCluster(name, over))]]));
  const cla = {
    cluster_name: name,
    endpoints: levels.map((addrs, p) => ({ locality: { region: 'r1', zone: `z${p}` }, priority: p, lb_endpoints: addrs.map((a) => lbEndpoint(a, 80)) })),
  };
  cm.setEndpoints(new Map([[name, decodeEndpoints(cla, 'cla')]]));
  const c = cm.get(name);
  assert.ok(c);
  return c;
}

/** How many of the 100 hash draws land on each level. */
function levelCounts(c: ClusterRuntime): number[] {
  const counts = [0, 0, 0];
  for (let k = 0; k < 100; k++) {
    const h = c.pick(k);
    if (h) counts[h.endpoint.priority ?? 0]!++;
  }
  return counts;
}

test('a cluster prefers P0 and spills to P1 as outlier detection ejects P0 hosts (70/30, then 0/100)', () => {
  const c = clusterWith([['127.0.40.1', '127.0.40.2'], ['127.0.41.1', '127.0.41.2']]);
  assert.equal(c.priorityLevels, 2);
  assert.deepEqual(levelCounts(c), [100, 0, 0]);
  const [a1, a2] = c.hosts;
  c.recordResult(a1!, '-', 503, true);
  assert.deepEqual(levelCounts(c), [70, 30, 0], 'one of two P0 hosts ejected: health 70');
  for (let k = 0; k < 100; k++) assert.notEqual(c.pick(k), a1, 'the ejected host is never picked');
  c.recordResult(a2!, '-', 503, true);
  assert.deepEqual(levelCounts(c), [0, 100, 0], 'both P0 hosts ejected: all to P1');
});

test('one level (no priorities) behaves as before: every host, ejected ones skipped', () => {
  const c = clusterWith([['127.0.40.1', '127.0.40.2']]);
  assert.equal(c.priorityLevels, 1);
  c.recordResult(c.hosts[0]!, '-', 503, true);
  for (let i = 0; i < 20; i++) assert.equal(c.pick()?.address, '127.0.40.2');
});

const ACTION = { clusters: [], totalWeight: 0, prefixRewrite: undefined, hostRewrite: undefined, timeoutMs: 0, retry: undefined, retryBudget: { budgetPercent: 100, minRetriesPerSecond: 1000 } } as RouteAction;

function attempts(retryRemoteLocalities: boolean, c: ClusterRuntime, n: number): number[] {
  const policy = decodeRetryPolicy(JSON.parse(JSON.stringify(retryPolicyJson({ attempts: n, retryOn: ['5xx'], retryRemoteLocalities }))), 'rp');
  const rc = new RetryController(policy, ACTION, `loc-test-${retryRemoteLocalities}`);
  const levels: number[] = [];
  let host = c.pick();
  for (let i = 0; i <= n && host; i++) {
    rc.noteHost(host);
    levels.push(host.endpoint.priority ?? 0);
    host = rc.pickHost(c);
  }
  return levels;
}

test('retryRemoteLocalities: the second retry goes to the next level (update_frequency 2); without it retries stay local', () => {
  const c = clusterWith([['127.0.40.1'], ['127.0.41.1'], ['127.0.41.2']], false);
  assert.deepEqual(attempts(true, c, 4), [0, 0, 1, 1, 2], 'attempts 1-2 local, 3-4 exclude P0, 5 excludes P0 and P1');
  assert.deepEqual(attempts(false, c, 4), [0, 0, 0, 0, 0]);
  const policy = decodeRetryPolicy(JSON.parse(JSON.stringify(retryPolicyJson({ attempts: 2, retryRemoteLocalities: true }))), 'rp');
  assert.equal(policy.priorityUpdateFrequency, 2);
  rejects(() => decodeRetryPolicy({ retry_on: '5xx', retry_priority: { name: 'envoy.retry_priorities.previous_priorities', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', update_frequency: 0 } } }, 'rp'), 'rp.retry_priority.typed_config.update_frequency');
});

test('retries exclude only levels that leave something available: all tried → the normal load', () => {
  const c = clusterWith([['127.0.40.1'], ['127.0.41.1']], false);
  assert.deepEqual(attempts(true, c, 4), [0, 0, 1, 1, 0]);
});

test("previous_priorities follows Envoy's documented sequence (update_frequency 1; healths 100, 0, 70): P0, P2, P0 (reset), P2", () => {
  const c = clusterWith([['127.0.40.1'], ['127.0.40.2'], ['127.0.41.1', '127.0.41.2']]);
  c.recordResult(c.hosts[1]!, '-', 503, true);
  c.recordResult(c.hosts[2]!, '-', 503, true);
  const policy = { ...decodeRetryPolicy({ retry_on: '5xx', num_retries: 3 }, 'rp'), previousPriorities: true, priorityUpdateFrequency: 1 };
  const rc = new RetryController(policy, ACTION, 'loc-test-envoy-sequence');
  const levels: number[] = [];
  let host = c.pick();
  for (let i = 0; i < 4 && host; i++) {
    rc.noteHost(host);
    levels.push(host.endpoint.priority ?? 0);
    host = rc.pickHost(c);
  }
  assert.deepEqual(levels, [0, 2, 0, 2]);
});
