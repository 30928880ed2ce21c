// CDS: Cluster → ClusterConfig; ClusterLoadAssignment → endpoints.
import { arr, ConfigRejection, durationMs, num, obj, only, str, type J } from './check.js';
import type { ClusterConfig, EndpointConfig, ServiceRef } from './types.js';
import { decodeOutlierDetection, decodePanicThreshold, decodePool, POLICY_FIELDS } from './decode-cluster-policy.js';
import { decodeLb, LB_FIELDS } from './decode-lb.js';
import { CLUSTER_TLS_FIELDS, decodeClusterTransport, endpointTransportMatch } from './decode-tls.js';
import { decodeOriginalDst } from './decode-original-dst.js';

/** DNS types carry host names in load_assignment; they are resolved when connecting. */
const TYPES: readonly ClusterConfig['type'][] = ['EDS', 'STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'ORIGINAL_DST'];

function serviceRef(metadata: unknown, path: string): ServiceRef | null {
  if (metadata === undefined) return null;
  const fm = obj(metadata, path).filter_metadata;
  if (fm === undefined) return null;
  const istio = obj(fm, `${path}.filter_metadata`).istio as J | undefined;
  const services = istio?.services;
  if (!Array.isArray(services) || services.length === 0) return null;
  const s = services[0] as J | null;
  if (typeof s !== 'object' || s === null || typeof s.host !== 'string') return null;
  return { host: s.host, name: typeof s.name === 'string' ? s.name : s.host, namespace: typeof s.namespace === 'string' ? s.namespace : 'unknown' };
}

/** Envoy accepts priorities up to 127 levels; more would mean a control plane bug. */
const MAX_PRIORITY = 127;

function decodeLocalityGroup(lo: J, lp: string): { priority: number; locality: string | undefined } {
  let priority = 0;
  if (lo.priority !== undefined) {
    priority = num(lo.priority, `${lp}.priority`);
    if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) throw new ConfigRejection(`${lp}.priority`, `expected an integer 0..${MAX_PRIORITY}`);
  }
  let locality: string | undefined;
  if (lo.locality !== undefined) {
    const l = obj(lo.locality, `${lp}.locality`);
    only(l, `${lp}.locality`, ['region', 'zone', 'sub_zone']);
    const part = (k: string): string => (l[k] === undefined ? '' : str(l[k], `${lp}.locality.${k}`));
    locality = [part('region'), part('zone'), part('sub_zone')].filter((p) => p !== '').join('/');
  }
  return { priority, locality };
}

export function decodeEndpoints(cla: J, path: string): EndpointConfig[] {
  only(cla, path, ['cluster_name', 'endpoints', 'policy']);
  const out: EndpointConfig[] = [];
  arr(cla.endpoints, `${path}.endpoints`).forEach((le, i) => {
    const lp = `${path}.endpoints[${i}]`;
    const lo = obj(le, lp);
    only(lo, lp, ['lb_endpoints', 'locality', 'load_balancing_weight', 'priority']);
    // load_balancing_weight (locality weight) only matters with locality_weighted_lb_config,
    // which clusters cannot set here: Envoy ignores it then too.
    const { priority, locality } = decodeLocalityGroup(lo, lp);
    arr(lo.lb_endpoints, `${lp}.lb_endpoints`).forEach((e, j) => {
      const ep = `${lp}.lb_endpoints[${j}]`;
      const eo = obj(e, ep);
      only(eo, ep, ['endpoint', 'metadata', 'load_balancing_weight', 'health_status']);
      const endpoint = obj(eo.endpoint, `${ep}.endpoint`);
      only(endpoint, `${ep}.endpoint`, ['address']);
      const address = obj(endpoint.address, `${ep}.endpoint.address`);
      only(address, `${ep}.endpoint.address`, ['socket_address']);
      const sa = obj(address.socket_address, `${ep}.endpoint.address.socket_address`);
      only(sa, `${ep}.endpoint.address.socket_address`, ['address', 'port_value', 'protocol']);
      const port = num(sa.port_value, `${ep}.endpoint.address.socket_address.port_value`);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigRejection(`${ep}.endpoint.address.socket_address.port_value`, 'expected a port 1..65535');
      const istio = ((eo.metadata as J | undefined)?.filter_metadata as J | undefined)?.istio as J | undefined;
      const weight = eo.load_balancing_weight === undefined ? 1 : num(eo.load_balancing_weight, `${ep}.load_balancing_weight`);
      if (eo.health_status === 'UNHEALTHY' || eo.health_status === 'DRAINING') return;
      const transportMatch = endpointTransportMatch(eo.metadata);
      out.push({
        address: str(sa.address, `${ep}.endpoint.address.socket_address.address`),
        port,
        weight: weight > 0 ? weight : 1,
        workload: typeof istio?.workload === 'string' ? istio.workload : undefined,
        serviceAccount: typeof istio?.service_account === 'string' ? istio.service_account : undefined,
        ...(priority > 0 ? { priority } : {}),
        ...(locality !== undefined ? { locality } : {}),
        ...(transportMatch ? { transportMatch } : {}),
      });
    });
  });
  return out;
}

export function decodeCluster(c: J): ClusterConfig {
  const name = str(c.name, 'name');
  const p = `cluster ${name}`;
  only(c, p, ['name', 'type', 'eds_cluster_config', 'connect_timeout', 'lb_policy', 'metadata', 'load_assignment', 'original_dst_lb_config', ...POLICY_FIELDS, ...LB_FIELDS, ...CLUSTER_TLS_FIELDS]);
  const type = c.type ?? 'STATIC';
  if (!TYPES.includes(type as ClusterConfig['type'])) throw new ConfigRejection(`${p}.type`, `cluster type ${String(type)} is not supported (${TYPES.join(', ')})`);
  const originalDst = decodeOriginalDst(c, p, type);
  const { lbPolicy, lb } = originalDst ? { lbPolicy: 'ROUND_ROBIN' as const, lb: undefined } : decodeLb(c, p);
  let edsServiceName = name;
  if (type === 'EDS') {
    const ecc = obj(c.eds_cluster_config, `${p}.eds_cluster_config`);
    only(ecc, `${p}.eds_cluster_config`, ['eds_config', 'service_name']);
    const edsConfig = obj(ecc.eds_config, `${p}.eds_cluster_config.eds_config`);
    if (edsConfig.ads === undefined) {
      throw new ConfigRejection(`${p}.eds_cluster_config.eds_config`, 'only ADS config sources are supported');
    }
    only(edsConfig, `${p}.eds_cluster_config.eds_config`, ['ads', 'resource_api_version']);
    if (ecc.service_name !== undefined) edsServiceName = str(ecc.service_name, `${p}.eds_cluster_config.service_name`);
  }
  const transport = decodeClusterTransport(c, p);
  const staticEndpoints = type !== 'EDS' && c.load_assignment !== undefined ? decodeEndpoints(obj(c.load_assignment, `${p}.load_assignment`), `${p}.load_assignment`) : [];
  return {
    name,
    type: type as ClusterConfig['type'],
    lbPolicy,
    lb,
    connectTimeoutMs: durationMs(c.connect_timeout, `${p}.connect_timeout`, 5000),
    edsServiceName,
    service: serviceRef(c.metadata, `${p}.metadata`),
    staticEndpoints,
    pool: decodePool(c, p),
    outlierDetection: decodeOutlierDetection(c.outlier_detection, `${p}.outlier_detection`),
    healthyPanicThreshold: decodePanicThreshold(c.common_lb_config, `${p}.common_lb_config`),
    ...(transport ? { transport } : {}),
    ...(originalDst ? { originalDst } : {}),
  };
}
