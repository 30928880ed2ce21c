// LDS: Listener → ListenerConfig. One filter chain with the HTTP connection manager or tcp_proxy;
// or, with the tls_inspector listener filter, tcp_proxy chains matched by SNI (server_names) plus
// at most one default chain (TLS passthrough, ../network/client-hello.ts).
import { HCM_TYPE_URL, ROUTER_TYPE_URL } from '../../xds/protos.js';
import { arr, bool, ConfigRejection, obj, only, str, type J } from './check.js';
import { decodeRouteConfig } from './decode-route.js';
import type { HcmConfig, ListenerConfig, SniChain, TcpProxyConfig } from './types.js';
import { TCP_PROXY_TYPE_URL, TLS_INSPECTOR_TYPE_URL } from '../../xds/network-filters.js';
import { decodeTcpProxy, decodeUpgradeConfigs, NO_HCM } from './decode-tcp-proxy.js';
import { decodeJwtAuthn, JWT_AUTHN_TYPE_URL } from '../security/jwt/decode.js';
import { decodeAccessLogs } from '../telemetry/access-log/decode.js';
import { decodeStatsFilter, STATS_FILTER_NAME, TCP_METRICS, TYPED_STRUCT_TYPE_URL, type StatsConfig } from '../telemetry/metric-overrides.js';
import { decodeNetworkRbacFilters, decodePathNormalization, decodeRbacHttpFilter, HTTP_RBAC_TYPE_URL } from '../security/rbac/decode-hcm.js';
import type { RbacEngine } from '../security/rbac/types.js';
import { decodeInboundTlsChains } from './decode-tls.js';
import { decodeTracing } from '../telemetry/tracing/decode.js';

const HCM_FIELDS = [
  '@type', 'stat_prefix', 'rds', 'route_config', 'http_filters', 'strip_any_host_port', 'use_remote_address',
  'codec_type', 'generate_request_id', 'xff_num_trusted_hops', 'normalize_path', 'merge_slashes', 'upgrade_configs',
  'access_log',
  'path_with_escaped_slashes_action', 'tracing', 'request_id_extension',
];

function decodeHcm(tc: J, path: string): HcmConfig {
  only(tc, path, HCM_FIELDS);
  if (tc.codec_type !== undefined && tc.codec_type !== 'AUTO' && tc.codec_type !== 'HTTP1') {
    throw new ConfigRejection(`${path}.codec_type`, `only AUTO and HTTP1 are supported, got ${String(tc.codec_type)}`);
  }
  const filters = arr(tc.http_filters, `${path}.http_filters`);
  let jwtAuthn: HcmConfig['jwtAuthn'];
  let stats: StatsConfig | undefined;
  const rbac: RbacEngine[] = [];
  let routerSeen = false;
  filters.forEach((f, i) => {
    const fp = `${path}.http_filters[${i}]`;
    const fo = obj(f, fp);
    only(fo, fp, ['name', 'typed_config']);
    const tc = fo.typed_config === undefined ? undefined : obj(fo.typed_config, `${fp}.typed_config`);
    const t = tc?.['@type'];
    if (t === JWT_AUTHN_TYPE_URL && tc) {
      if (jwtAuthn || i === filters.length - 1) throw new ConfigRejection(fp, 'at most one jwt_authn filter, before the router');
      jwtAuthn = decodeJwtAuthn(tc, `${fp}.typed_config`);
      return;
    }
    if (fo.name === STATS_FILTER_NAME && t === TYPED_STRUCT_TYPE_URL && tc) return void (stats = decodeStatsFilter(tc, `${fp}.typed_config`));
    if (tc && t === HTTP_RBAC_TYPE_URL) {
      const e = decodeRbacHttpFilter(tc, `${fp}.typed_config`, routerSeen);
      if (e) rbac.push(e);
      return;
    }
    routerSeen = true;
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
  const accessLog = decodeAccessLogs(tc.access_log, `${path}.access_log`);
  return {
    statPrefix: typeof tc.stat_prefix === 'string' ? tc.stat_prefix : '',
    rdsName,
    inlineRoutes,
    stripAnyHostPort: bool(tc.strip_any_host_port, `${path}.strip_any_host_port`, false),
    useRemoteAddress: bool(tc.use_remote_address, `${path}.use_remote_address`, false),
    ...(tc.upgrade_configs !== undefined ? { websocket: decodeUpgradeConfigs(tc.upgrade_configs, `${path}.upgrade_configs`) } : {}),
    ...(jwtAuthn ? { jwtAuthn } : {}),
    ...(accessLog ? { accessLog } : {}),
    ...(stats ? { stats } : {}),
    ...(rbac.length > 0 ? { rbac } : {}),
    ...optional('pathNormalization', decodePathNormalization(tc, path)),
    ...optional('tracing', decodeTracing(tc.tracing, `${path}.tracing`, { value: tc.request_id_extension, path: `${path}.request_id_extension` })),
  };
}

export function decodeListener(l: J): ListenerConfig {
  const name = str(l.name, 'name');
  const p = `listener ${name}`;
  only(l, p, ['name', 'address', 'traffic_direction', 'filter_chains', 'listener_filters']);
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
  const direction = l.traffic_direction === 'INBOUND' ? 'INBOUND' : 'OUTBOUND';
  const tlsInspector = decodeListenerFilters(l.listener_filters, `${p}.listener_filters`);
  const chains = arr(l.filter_chains, `${p}.filter_chains`);
  if (chains.length === 0) throw new ConfigRejection(`${p}.filter_chains`, 'expected at least one filter chain, got 0');
  // Inbound mTLS: a "tls" chain (and a "raw_buffer" one when PERMISSIVE) running the same filter.
  const mtls = decodeInboundTlsChains(chains, tlsInspector, p);
  if ((chains.length === 1 && !tlsInspector) || mtls) {
    const { tc, tcPath, serverNames, rbac, tcpStats } = decodeChain(mtls?.chain ?? chains[0], `${p}.filter_chains[0]`);
    const tlsPart = mtls ? { inboundTls: mtls.inboundTls } : {};
    if (rbac.length > 0 && tc['@type'] !== TCP_PROXY_TYPE_URL) throw new ConfigRejection(`${p}.filter_chains[0].filters`, 'envoy.filters.network.rbac is supported only in front of tcp_proxy');
    if (serverNames) throw new ConfigRejection(`${p}.filter_chains[0].filter_chain_match`, 'server_names needs the envoy.filters.listener.tls_inspector listener filter');
    if (tc['@type'] === TCP_PROXY_TYPE_URL) {
      return { name, address, port, direction, hcm: NO_HCM, tcpProxy: decodeTcpProxy(tc, tcPath), ...optional('networkRbac', rbac.length > 0 ? rbac : undefined), ...optional('tcpStats', tcpStats), ...tlsPart };
    }
    if (tc['@type'] !== HCM_TYPE_URL) throw new ConfigRejection(tcPath, `network filter ${String(tc['@type'])} is not supported; only the HTTP connection manager and tcp_proxy`);
    return { name, address, port, direction, hcm: decodeHcm(tc, tcPath), ...tlsPart };
  }
  // TLS passthrough: tcp_proxy chains picked by SNI, at most one without a match (the default).
  if (!tlsInspector) {
    throw new ConfigRejection(`${p}.filter_chains`, `several filter chains are supported only with the envoy.filters.listener.tls_inspector listener filter, got ${chains.length}`);
  }
  const sniChains: SniChain[] = [];
  const seen = new Set<string>();
  let fallback: TcpProxyConfig | undefined;
  let sniStats: StatsConfig | undefined;
  chains.forEach((c, i) => {
    const cp = `${p}.filter_chains[${i}]`;
    const { tc, tcPath, serverNames, rbac, tcpStats } = decodeChain(c, cp);
    sniStats ??= tcpStats; // one proxy-wide TCP stats config per direction: the first chain's
    if (rbac.length > 0) throw new ConfigRejection(`${cp}.filters`, 'envoy.filters.network.rbac is not supported in chains matched by SNI');
    if (tc['@type'] !== TCP_PROXY_TYPE_URL) throw new ConfigRejection(tcPath, `only tcp_proxy is supported in a chain matched by SNI, got ${String(tc['@type'])}`);
    const tcpProxy = decodeTcpProxy(tc, tcPath);
    if (!serverNames) {
      if (fallback) throw new ConfigRejection(`${cp}`, 'at most one filter chain without filter_chain_match.server_names is supported');
      fallback = tcpProxy;
      return;
    }
    serverNames.forEach((n, j) => {
      if (seen.has(n)) throw new ConfigRejection(`${cp}.filter_chain_match.server_names[${j}]`, `server name ${n} is matched by an earlier chain`);
      seen.add(n);
    });
    sniChains.push({ serverNames, tcpProxy });
  });
  return { name, address, port, direction, hcm: NO_HCM, sniChains, ...(fallback ? { tcpProxy: fallback } : {}), ...optional('tcpStats', sniStats) };
}

/** listener_filters: only tls_inspector (without settings); true when it is there. */
function decodeListenerFilters(v: unknown, path: string): boolean {
  if (v === undefined) return false;
  let tls = false;
  arr(v, path).forEach((f, i) => {
    const fp = `${path}[${i}]`;
    const fo = obj(f, fp);
    only(fo, fp, ['name', 'typed_config']);
    const tc = obj(fo.typed_config, `${fp}.typed_config`);
    if (tc['@type'] !== TLS_INSPECTOR_TYPE_URL) throw new ConfigRejection(fp, `listener filter ${String(fo.name)} (${String(tc['@type'])}) is not supported; only tls_inspector`);
    only(tc, `${fp}.typed_config`, ['@type']);
    tls = true;
  });
  return tls;
}

/** One filter chain: its single network filter's typed_config and its server_names, if matched. */
interface DecodedChain {
  tc: J;
  tcPath: string;
  serverNames: string[] | undefined;
  rbac: RbacEngine[];
  /** The istio.stats network filter right before tcp_proxy: TCP metric overrides. */
  tcpStats?: StatsConfig;
}

function decodeChain(c: unknown, cp: string): DecodedChain {
  const chain = obj(c, cp);
  only(chain, cp, ['filters', 'name', 'filter_chain_match']);
  let serverNames: string[] | undefined;
  if (chain.filter_chain_match !== undefined) {
    const mp = `${cp}.filter_chain_match`;
    const m = obj(chain.filter_chain_match, mp);
    only(m, mp, ['server_names']);
    const list = arr(m.server_names, `${mp}.server_names`);
    if (list.length === 0) throw new ConfigRejection(`${mp}.server_names`, 'expected at least one server name');
    serverNames = list.map((n, j) => {
      const s = str(n, `${mp}.server_names[${j}]`).toLowerCase();
      if (s.length === 0 || s.slice(s.startsWith('*.') ? 2 : 0).includes('*')) {
        throw new ConfigRejection(`${mp}.server_names[${j}]`, 'expected a host name or a "*." wildcard');
      }
      return s;
    });
  }
  const filters = arr(chain.filters, `${cp}.filters`);
  if (filters.length === 0) throw new ConfigRejection(`${cp}.filters`, 'expected a network filter');
  // Network RBAC filters may come first (../security/rbac/decode-hcm.ts), then the istio.stats
  // filter of a tcp_proxy chain; the last one does the work.
  const last = filters.length - 1;
  const f = obj(filters[last], `${cp}.filters[${last}]`);
  only(f, `${cp}.filters[${last}]`, ['name', 'typed_config']);
  const tcPath = `${cp}.filters[${last}].typed_config`;
  const tc = obj(f.typed_config, tcPath);
  let before = filters.slice(0, -1);
  let tcpStats: StatsConfig | undefined;
  const sp = `${cp}.filters[${last - 1}]`;
  const s = before.length > 0 ? obj(before[before.length - 1], sp) : undefined;
  if (s?.name === STATS_FILTER_NAME) {
    only(s, sp, ['name', 'typed_config']);
    if (tc['@type'] !== TCP_PROXY_TYPE_URL) throw new ConfigRejection(sp, 'the istio.stats network filter is supported only in front of tcp_proxy');
    tcpStats = decodeStatsFilter(obj(s.typed_config, `${sp}.typed_config`), `${sp}.typed_config`, TCP_METRICS);
    before = before.slice(0, -1);
  }
  const rbac = decodeNetworkRbacFilters(before, cp);
  return { tc, tcPath, serverNames, rbac, ...optional('tcpStats', tcpStats) };
}

/** `{ [key]: value }` when value is defined, else {}: optional fields stay absent. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
