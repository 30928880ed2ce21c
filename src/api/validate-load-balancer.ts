// DestinationRule trafficPolicy.loadBalancer: simple, consistentHash (ring hash or maglev) and
// warmupDurationSecs / warmup.duration, read with field paths.

import type { ConsistentHashLB, LoadBalancerSettings, SimpleLB } from './types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';
import { readLocalityLbSetting } from './validate-locality-lb.js';

const LOAD_BALANCER: FieldSet = {
  supported: ['simple', 'consistentHash', 'warmupDurationSecs', 'warmup', 'localityLbSetting'],
};
const CONSISTENT_HASH: FieldSet = {
  supported: ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName', 'ringHash', 'maglev', 'minimumRingSize'],
};
const HTTP_COOKIE: FieldSet = { supported: ['name', 'path', 'ttl'], notYet: ['attributes'] };
const WARMUP: FieldSet = { supported: ['duration'], notYet: ['minimumPercent', 'aggression'] };

const SIMPLE_LB: readonly SimpleLB[] = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH', 'UNSPECIFIED'];
const LB_ALIASES = {
  LEAST_CONN: { value: 'LEAST_REQUEST', warning: 'LEAST_CONN is deprecated in Istio; treated as LEAST_REQUEST' },
} as const;

/** Envoy's limits: ring sizes up to 8M entries; maglev tables must be prime, up to 5000011. */
const MAX_RING_SIZE = 8_388_608;
const MAX_MAGLEV_TABLE = 5_000_011;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

export function readLoadBalancer(lb: Field): LoadBalancerSettings {
  lb.object(LOAD_BALANCER);
  const simple = lb.get('simple').oneOf(SIMPLE_LB, { aliases: LB_ALIASES });
  const consistentHash = lb.get('consistentHash').ifPresent(readConsistentHash);
  if (simple !== undefined && consistentHash !== undefined) lb.error('only one of simple or consistentHash may be set');
  let warmupMs = lb.get('warmupDurationSecs').duration();
  const warmup = lb.get('warmup');
  if (warmup.present) {
    warmup.object(WARMUP);
    const d = warmup.get('duration').duration({ required: true });
    if (warmupMs !== undefined && d !== undefined) warmup.error('set warmupDurationSecs or warmup, not both');
    warmupMs ??= d;
  }
  if (warmupMs !== undefined && (consistentHash !== undefined || simple === 'RANDOM' || simple === 'PASSTHROUGH')) {
    lb.get(warmup.present ? 'warmup' : 'warmupDurationSecs').warn('warmup applies to ROUND_ROBIN and LEAST_REQUEST only; ignored with this load balancer');
  }
  const localityLbSetting = lb.get('localityLbSetting').ifPresent(readLocalityLbSetting);
  return compact({ simple, consistentHash, warmupMs, localityLbSetting });
}

function readConsistentHash(f: Field): ConsistentHashLB {
  f.object(CONSISTENT_HASH);
  const keys: ConsistentHashLB['key'][] = [];
  const header = f.get('httpHeaderName').string({ check: (v) => (v === '' ? 'must not be empty' : undefined) });
  if (header !== undefined) keys.push({ kind: 'header', name: header.toLowerCase() });
  const cookie = f.get('httpCookie').ifPresent((c) => {
    c.object(HTTP_COOKIE);
    return compact({
      kind: 'cookie' as const,
      name: c.get('name').string({ required: true }) ?? '',
      path: c.get('path').string(),
      ttlMs: c.get('ttl').duration(),
    });
  });
  if (cookie) keys.push(cookie);
  const sourceIp = f.get('useSourceIp').bool();
  if (sourceIp === true) keys.push({ kind: 'sourceIp' });
  const query = f.get('httpQueryParameterName').string({ check: (v) => (v === '' ? 'must not be empty' : undefined) });
  if (query !== undefined) keys.push({ kind: 'queryParameter', name: query });
  if (keys.length !== 1) {
    f.error(`exactly one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName must be set (found ${keys.length})`);
  }
  const ringHashF = f.get('ringHash');
  const maglevF = f.get('maglev');
  const deprecated = f.get('minimumRingSize').int({ min: 0, max: MAX_RING_SIZE });
  if (deprecated !== undefined) f.get('minimumRingSize').warn('deprecated in Istio; use ringHash.minimumRingSize');
  if (ringHashF.present && maglevF.present) f.error('only one of ringHash or maglev may be set');
  if (maglevF.present && deprecated !== undefined) f.get('minimumRingSize').error('minimumRingSize applies to ring hash, not maglev');
  const ringHash = ringHashF.ifPresent((r) => {
    r.object({ supported: ['minimumRingSize'] });
    return compact({ minimumRingSize: r.get('minimumRingSize').int({ min: 0, max: MAX_RING_SIZE }) });
  });
  const maglev = maglevF.ifPresent((m) => {
    m.object({ supported: ['tableSize'] });
    const t = m.get('tableSize');
    const tableSize = t.int({ min: 0, max: MAX_MAGLEV_TABLE });
    if (tableSize !== undefined && tableSize !== 0 && !isPrime(tableSize)) t.error('must be a prime number (e.g. 65537)');
    return compact({ tableSize });
  });
  return compact({
    key: keys[0] ?? { kind: 'sourceIp' },
    ringHash: ringHash ?? (deprecated !== undefined ? { minimumRingSize: deprecated } : undefined),
    maglev,
  });
}
