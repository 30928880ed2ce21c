// Runtime config for the load balancers that need more than a name: ring hash and maglev sizes,
// slow start (warmup), and a route's hash policies (how a request's hash key is computed).

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV';

export interface LbConfig {
  /** ring_hash_lb_config (Envoy's defaults 1024 and 8M). */
  minimumRingSize: number;
  maximumRingSize: number;
  /** maglev_lb_config.table_size (Envoy's default 65537; prime). */
  tableSize: number;
  /** slow_start_config.slow_start_window of round_robin / least_request lb config; 0 = off. */
  slowStartWindowMs: number;
}

export const DEFAULT_LB_CONFIG: LbConfig = { minimumRingSize: 1024, maximumRingSize: 8_388_608, tableSize: 65537, slowStartWindowMs: 0 };

/** One route hash_policy entry. */
export type HashPolicyConfig =
  | { kind: 'header'; name: string; terminal: boolean }
  | { kind: 'cookie'; name: string; path: string | undefined; ttlMs: number | undefined; terminal: boolean }
  | { kind: 'sourceIp'; terminal: boolean }
  | { kind: 'queryParameter'; name: string; terminal: boolean };
