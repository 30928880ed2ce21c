// envoy.filters.network.tcp_proxy → TcpProxyConfig, and the HCM's upgrade_configs. Fields the
// proxy does not implement are rejected (NACK naming the field).
import { arr, ConfigRejection, durationMs, num, obj, only, str, type J } from './check.js';
import type { HcmConfig, TcpProxyConfig, WeightedCluster } from './types.js';
import { decodeAccessLogs } from '../telemetry/access-log/decode.js';

export function decodeTcpProxy(tc: J, path: string): TcpProxyConfig {
  only(tc, path, ['@type', 'stat_prefix', 'cluster', 'weighted_clusters', 'idle_timeout', 'max_downstream_connection_duration', 'access_log']);
  const statPrefix = str(tc.stat_prefix, `${path}.stat_prefix`);
  const accessLog = decodeAccessLogs(tc.access_log, `${path}.access_log`);
  if ((tc.cluster === undefined) === (tc.weighted_clusters === undefined)) {
    throw new ConfigRejection(path, 'needs exactly one of cluster or weighted_clusters');
  }
  const timeouts = decodeTimeouts(tc, path);
  if (tc.cluster !== undefined) {
    return { statPrefix, clusters: [{ name: str(tc.cluster, `${path}.cluster`), weight: 1 }], totalWeight: 1, ...timeouts, ...(accessLog ? { accessLog } : {}) };
  }
  const wp = `${path}.weighted_clusters`;
  const wc = obj(tc.weighted_clusters, wp);
  only(wc, wp, ['clusters']);
  const list = arr(wc.clusters, `${wp}.clusters`);
  if (list.length === 0) throw new ConfigRejection(`${wp}.clusters`, 'expected at least one cluster');
  const clusters: WeightedCluster[] = list.map((c, i) => {
    const cp = `${wp}.clusters[${i}]`;
    const co = obj(c, cp);
    only(co, cp, ['name', 'weight']);
    const weight = num(co.weight, `${cp}.weight`);
    if (!Number.isInteger(weight) || weight < 0) throw new ConfigRejection(`${cp}.weight`, 'expected a non-negative integer');
    return { name: str(co.name, `${cp}.name`), weight };
  });
  const totalWeight = clusters.reduce((a, c) => a + c.weight, 0);
  if (totalWeight <= 0) throw new ConfigRejection(`${wp}.clusters`, 'weights sum to 0');
  return { statPrefix, clusters, totalWeight, ...timeouts, ...(accessLog ? { accessLog } : {}) };
}

/** idle_timeout (0s turns it off) and max_downstream_connection_duration: only the fields set. */
function decodeTimeouts(tc: J, path: string): Pick<TcpProxyConfig, 'idleTimeoutMs' | 'maxDownstreamConnectionDurationMs'> {
  const out: Pick<TcpProxyConfig, 'idleTimeoutMs' | 'maxDownstreamConnectionDurationMs'> = {};
  if (tc.idle_timeout !== undefined) out.idleTimeoutMs = durationMs(tc.idle_timeout, `${path}.idle_timeout`, 0);
  if (tc.max_downstream_connection_duration !== undefined) {
    const p = `${path}.max_downstream_connection_duration`;
    const ms = durationMs(tc.max_downstream_connection_duration, p, 0);
    // Envoy's validation: at least 1ms.
    if (ms < 1) throw new ConfigRejection(p, 'expected a duration of at least 1ms');
    out.maxDownstreamConnectionDurationMs = ms;
  }
  return out;
}

/** upgrade_configs: only `websocket` is implemented; true when it is enabled. */
export function decodeUpgradeConfigs(v: unknown, path: string): boolean {
  if (v === undefined) return false;
  let websocket = false;
  arr(v, path).forEach((u, i) => {
    const up = `${path}[${i}]`;
    const uo = obj(u, up);
    only(uo, up, ['upgrade_type', 'enabled']);
    const type = str(uo.upgrade_type, `${up}.upgrade_type`);
    if (type.toLowerCase() !== 'websocket') throw new ConfigRejection(`${up}.upgrade_type`, `only websocket upgrades are supported, got ${type}`);
    const enabled = uo.enabled === undefined ? true : typeof uo.enabled === 'object' && uo.enabled !== null ? (uo.enabled as J).value !== false : uo.enabled !== false;
    websocket = enabled;
  });
  return websocket;
}

/** The HCM part of a listener that runs tcp_proxy instead: nothing routes through it. */
export const NO_HCM: HcmConfig = { statPrefix: '', rdsName: undefined, inlineRoutes: undefined, stripAnyHostPort: false, useRemoteAddress: false };
