// CDS lb_policy with its lb config (ring_hash_lb_config, maglev_lb_config, slow start on
// round_robin / least_request) and RDS hash_policy: exactly what translation emits, and Envoy's
// defaults for what it leaves out. Anything else is rejected with its field path.
import { arr, bool, ConfigRejection, durationMs, num, obj, only, optStr, str, type J } from './check.js';
import { DEFAULT_LB_CONFIG, type HashPolicyConfig, type LbConfig, type LbPolicy } from './lb-config.js';

const POLICIES: readonly LbPolicy[] = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV'];
export const LB_FIELDS = ['ring_hash_lb_config', 'maglev_lb_config', 'round_robin_lb_config', 'least_request_lb_config'];

/** Which lb config each policy may carry. */
const CONFIG_OF: Record<LbPolicy, string | undefined> = {
  ROUND_ROBIN: 'round_robin_lb_config',
  LEAST_REQUEST: 'least_request_lb_config',
  RANDOM: undefined,
  RING_HASH: 'ring_hash_lb_config',
  MAGLEV: 'maglev_lb_config',
};

function uint(v: unknown, path: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : num(v, path);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigRejection(path, `expected an integer ${min}..${max}`);
  return n;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function slowStart(v: unknown, path: string): number {
  const o = obj(v, path);
  only(o, path, ['slow_start_config']);
  if (o.slow_start_config === undefined) return 0;
  const sp = `${path}.slow_start_config`;
  const s = obj(o.slow_start_config, sp);
  // aggression and min_weight_percent are left at Envoy's defaults (linear, 10%): not accepted.
  only(s, sp, ['slow_start_window']);
  return durationMs(s.slow_start_window, `${sp}.slow_start_window`, 0);
}

export function decodeLb(c: J, p: string): { lbPolicy: LbPolicy; lb: LbConfig } {
  const policy = c.lb_policy ?? 'ROUND_ROBIN';
  if (!POLICIES.includes(policy as LbPolicy)) throw new ConfigRejection(`${p}.lb_policy`, `lb_policy ${String(policy)} is not supported (${POLICIES.join(', ')})`);
  const lbPolicy = policy as LbPolicy;
  const lb: LbConfig = { ...DEFAULT_LB_CONFIG };
  for (const f of LB_FIELDS) {
    if (c[f] !== undefined && CONFIG_OF[lbPolicy] !== f) throw new ConfigRejection(`${p}.${f}`, `does not apply to lb_policy ${lbPolicy}`);
  }
  if (c.ring_hash_lb_config !== undefined) {
    const rp = `${p}.ring_hash_lb_config`;
    const r = obj(c.ring_hash_lb_config, rp);
    only(r, rp, ['minimum_ring_size', 'maximum_ring_size']);
    lb.maximumRingSize = uint(r.maximum_ring_size, `${rp}.maximum_ring_size`, lb.maximumRingSize, 1, 8_388_608);
    lb.minimumRingSize = uint(r.minimum_ring_size, `${rp}.minimum_ring_size`, lb.minimumRingSize, 1, 8_388_608);
    if (lb.minimumRingSize > lb.maximumRingSize) throw new ConfigRejection(`${rp}.minimum_ring_size`, 'must not exceed maximum_ring_size');
  }
  if (c.maglev_lb_config !== undefined) {
    const mp = `${p}.maglev_lb_config`;
    const m = obj(c.maglev_lb_config, mp);
    only(m, mp, ['table_size']);
    lb.tableSize = uint(m.table_size, `${mp}.table_size`, lb.tableSize, 2, 5_000_011);
    if (!isPrime(lb.tableSize)) throw new ConfigRejection(`${mp}.table_size`, 'must be a prime number');
  }
  if (c.round_robin_lb_config !== undefined) lb.slowStartWindowMs = slowStart(c.round_robin_lb_config, `${p}.round_robin_lb_config`);
  if (c.least_request_lb_config !== undefined) lb.slowStartWindowMs = slowStart(c.least_request_lb_config, `${p}.least_request_lb_config`);
  return { lbPolicy, lb };
}

export function decodeHashPolicy(v: unknown, path: string): HashPolicyConfig[] | undefined {
  if (v === undefined) return undefined;
  const list = arr(v, path).map((e, i): HashPolicyConfig => {
    const ep = `${path}[${i}]`;
    const o = obj(e, ep);
    only(o, ep, ['header', 'cookie', 'connection_properties', 'query_parameter', 'terminal']);
    const terminal = bool(o.terminal, `${ep}.terminal`, false);
    const kinds = ['header', 'cookie', 'connection_properties', 'query_parameter'].filter((k) => o[k] !== undefined);
    if (kinds.length !== 1) throw new ConfigRejection(ep, 'expected exactly one of header, cookie, connection_properties, query_parameter');
    if (o.header !== undefined) {
      const h = obj(o.header, `${ep}.header`);
      only(h, `${ep}.header`, ['header_name']);
      return { kind: 'header', name: str(h.header_name, `${ep}.header.header_name`).toLowerCase(), terminal };
    }
    if (o.cookie !== undefined) {
      const cp = `${ep}.cookie`;
      const ck = obj(o.cookie, cp);
      only(ck, cp, ['name', 'ttl', 'path']);
      const name = str(ck.name, `${cp}.name`);
      if (name === '' || /[\s;,="]/.test(name)) throw new ConfigRejection(`${cp}.name`, 'expected a cookie name');
      const cookiePath = optStr(ck.path, `${cp}.path`);
      if (cookiePath !== undefined && /[;\r\n]/.test(cookiePath)) throw new ConfigRejection(`${cp}.path`, 'must not contain ";" or line breaks');
      return { kind: 'cookie', name, path: cookiePath, ttlMs: ck.ttl === undefined ? undefined : durationMs(ck.ttl, `${cp}.ttl`, 0), terminal };
    }
    if (o.connection_properties !== undefined) {
      const cp = `${ep}.connection_properties`;
      const cpo = obj(o.connection_properties, cp);
      only(cpo, cp, ['source_ip']);
      if (!bool(cpo.source_ip, `${cp}.source_ip`, false)) throw new ConfigRejection(`${cp}.source_ip`, 'expected true');
      return { kind: 'sourceIp', terminal };
    }
    const qp = `${ep}.query_parameter`;
    const q = obj(o.query_parameter, qp);
    only(q, qp, ['name']);
    return { kind: 'queryParameter', name: str(q.name, `${qp}.name`), terminal };
  });
  return list.length > 0 ? list : undefined;
}

/** { hashPolicy } when the route has one, else {} (routes without one keep their old shape). */
export function hashPolicyOf(v: unknown, path: string): { hashPolicy?: HashPolicyConfig[] } {
  const hashPolicy = decodeHashPolicy(v, path);
  return hashPolicy ? { hashPolicy } : {};
}
