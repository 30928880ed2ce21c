// CDS type ORIGINAL_DST (Istio's PassthroughCluster): lb_policy CLUSTER_PROVIDED and
// original_dst_lb_config. Weft's sidecar is an explicit proxy without traffic capture, so there is
// no connection original destination: the destination must come from a request header
// (use_http_header, with http_header_name ":authority" as Weft's control plane sends, or any other
// header). Everything else an ORIGINAL_DST cluster could carry is refused with its field path.
import { bool, ConfigRejection, obj, only, str, type J } from './check.js';
import { LB_FIELDS } from './decode-lb.js';
import type { OriginalDstConfig } from './types.js';

/** Envoy's default header when http_header_name is empty. */
export const ORIGINAL_DST_HEADER = 'x-envoy-original-dst-host';
const HEADER_NAME = /^:?[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** Cluster fields an ORIGINAL_DST cluster cannot use here (no endpoints, no balancing, no TLS). */
const NOT_FOR_ORIGINAL_DST = ['load_assignment', 'eds_cluster_config', 'outlier_detection', 'common_lb_config', 'transport_socket', 'transport_socket_matches', ...LB_FIELDS];

/**
 * The ORIGINAL_DST part of a cluster: undefined for other types (which must not carry
 * original_dst_lb_config). Throws ConfigRejection naming the field.
 */
export function decodeOriginalDst(c: J, p: string, type: unknown): OriginalDstConfig | undefined {
  if (type !== 'ORIGINAL_DST') {
    if (c.original_dst_lb_config !== undefined) throw new ConfigRejection(`${p}.original_dst_lb_config`, 'only applies to type ORIGINAL_DST');
    return undefined;
  }
  if (c.lb_policy !== 'CLUSTER_PROVIDED') throw new ConfigRejection(`${p}.lb_policy`, 'an ORIGINAL_DST cluster needs lb_policy CLUSTER_PROVIDED');
  for (const f of NOT_FOR_ORIGINAL_DST) {
    if (c[f] !== undefined) throw new ConfigRejection(`${p}.${f}`, 'not supported on an ORIGINAL_DST cluster');
  }
  const lp = `${p}.original_dst_lb_config`;
  if (c.original_dst_lb_config === undefined) throw new ConfigRejection(lp, 'required: the explicit proxy has no connection original destination, set use_http_header');
  const o = obj(c.original_dst_lb_config, lp);
  only(o, lp, ['use_http_header', 'http_header_name']);
  if (!bool(o.use_http_header, `${lp}.use_http_header`, false)) {
    throw new ConfigRejection(`${lp}.use_http_header`, 'must be true: the explicit proxy has no connection original destination');
  }
  const name = o.http_header_name === undefined ? '' : str(o.http_header_name, `${lp}.http_header_name`).toLowerCase();
  if (name !== '' && !HEADER_NAME.test(name)) throw new ConfigRejection(`${lp}.http_header_name`, `not a header name: "${name}"`);
  return { headerName: name === '' ? ORIGINAL_DST_HEADER : name === 'host' ? ':authority' : name };
}
