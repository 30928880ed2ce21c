// LDS: Listener → ListenerConfig. Supports one filter chain with the HTTP connection manager.
import { HCM_TYPE_URL, ROUTER_TYPE_URL } from '../../xds/protos.js';
import { arr, bool, ConfigRejection, obj, only, str, type J } from './check.js';
import { decodeRouteConfig } from './decode-route.js';
import type { HcmConfig, ListenerConfig } from './types.js';
import { TCP_PROXY_TYPE_URL } from '../../xds/network-filters.js';
import { decodeTcpProxy, decodeUpgradeConfigs, NO_HCM } from './decode-tcp-proxy.js';

const HCM_FIELDS = [
  '@type', 'stat_prefix', 'rds', 'route_config', 'http_filters', 'strip_any_host_port', 'use_remote_address',
  'codec_type', 'generate_request_id', 'xff_num_trusted_hops', 'normalize_path', 'merge_slashes', 'upgrade_configs',
];

function decodeHcm(tc: J, path: string): HcmConfig {
  only(tc, path, HCM_FIELDS);
  if (tc.codec_type !== undefined && tc.codec_type !== 'AUTO' && tc.codec_type !== 'HTTP1') {
    throw new ConfigRejection(`${path}.codec_type`, `only AUTO and HTTP1 are supported, got ${String(tc.codec_type)}`);
  }
  const filters = arr(tc.http_filters, `${path}.http_filters`);
  filters.forEach((f, i) => {
    const fp = `${path}.http_filters[${i}]`;
    const fo = obj(f, fp);
    only(fo, fp, ['name', 'typed_config']);
    const tc = fo.typed_config === undefined ? undefined : obj(fo.typed_config, `${fp}.typed_config`);
    const t = tc?.['@type'];
    if (t !== ROUTER_TYPE_URL) throw new ConfigRejection(fp, `HTTP filter ${String(fo.name)} (${String(t)}) is not supported; only the router`);
    only(tc ?? {}, `${fp}.typed_config`, ['@type']);
  });
  let rdsName: string | undefined;
  let inlineRoutes;
  if (tc.rds !== undefined) {
    const rds = obj(tc.rds, `${path}.rds`);
    only(rds, `${path}.rds`, ['route_config_name', 'config_source']);
    const cs = obj(rds.config_source, `${path}.rds.config_source`);
    if (cs.ads === undefined) throw new ConfigRejection(`${path}.rds.config_source`, 'only ADS config sources are supported');
    only(cs, `${path}.rds.config_source`, ['ads', 'resource_api_version']);
    rdsName = str(rds.route_config_name, `${path}.rds.route_config_name`);
  } else if (tc.route_config !== undefined) {
    inlineRoutes = decodeRouteConfig(obj(tc.route_config, `${path}.route_config`), `${path}.route_config`);
  } else {
    throw new ConfigRejection(path, 'needs rds or route_config');
  }
  return {
    statPrefix: typeof tc.stat_prefix === 'string' ? tc.stat_prefix : '',
    rdsName,
    inlineRoutes,
    stripAnyHostPort: bool(tc.strip_any_host_port, `${path}.strip_any_host_port`, false),
    useRemoteAddress: bool(tc.use_remote_address, `${path}.use_remote_address`, false),
    ...(tc.upgrade_configs !== undefined ? { websocket: decodeUpgradeConfigs(tc.upgrade_configs, `${path}.upgrade_configs`) } : {}),
  };
}

export function decodeListener(l: J): ListenerConfig {
  const name = str(l.name, 'name');
  const p = `listener ${name}`;
  only(l, p, ['name', 'address', 'traffic_direction', 'filter_chains']);
  const addr = obj(l.address, `${p}.address`);
  only(addr, `${p}.address`, ['socket_address']);
  const sa = obj(addr.socket_address, `${p}.address.socket_address`);
  only(sa, `${p}.address.socket_address`, ['address', 'port_value', 'protocol']);
  if (sa.protocol !== undefined && sa.protocol !== 'TCP') {
    throw new ConfigRejection(`${p}.address.socket_address.protocol`, `only TCP listeners are supported, got ${String(sa.protocol)}`);
  }
  const address = str(sa.address, `${p}.address.socket_address.address`);
  const port = sa.port_value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigRejection(`${p}.address.socket_address.port_value`, 'expected a port 1..65535');
  }
  const chains = arr(l.filter_chains, `${p}.filter_chains`);
  if (chains.length !== 1) throw new ConfigRejection(`${p}.filter_chains`, `exactly one filter chain is supported, got ${chains.length}`);
  const chain = obj(chains[0], `${p}.filter_chains[0]`);
  only(chain, `${p}.filter_chains[0]`, ['filters', 'name']);
  const filters = arr(chain.filters, `${p}.filter_chains[0].filters`);
  if (filters.length !== 1) throw new ConfigRejection(`${p}.filter_chains[0].filters`, 'exactly one network filter is supported');
  const f = obj(filters[0], `${p}.filter_chains[0].filters[0]`);
  only(f, `${p}.filter_chains[0].filters[0]`, ['name', 'typed_config']);
  const tcPath = `${p}.filter_chains[0].filters[0].typed_config`;
  const tc = obj(f.typed_config, tcPath);
  if (tc['@type'] === TCP_PROXY_TYPE_URL) {
    const direction = l.traffic_direction === 'INBOUND' ? 'INBOUND' : 'OUTBOUND';
    return { name, address, port, direction, hcm: NO_HCM, tcpProxy: decodeTcpProxy(tc, tcPath) };
  }
  if (tc['@type'] !== HCM_TYPE_URL) throw new ConfigRejection(tcPath, `network filter ${String(tc['@type'])} is not supported; only the HTTP connection manager and tcp_proxy`);
  const direction = l.traffic_direction === 'INBOUND' ? 'INBOUND' : 'OUTBOUND';
  return { name, address, port, direction, hcm: decodeHcm(tc, tcPath) };
}
