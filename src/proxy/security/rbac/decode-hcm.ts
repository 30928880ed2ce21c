// The listener-level pieces of authorization the LDS decoder hands over here: RBAC HTTP filters in
// an HCM's http_filters, network RBAC filters in front of tcp_proxy, and the HCM's path
// normalization fields.
import { bool, ConfigRejection, obj, str, type J } from '../../config/check.js';
import type { PathNormalizationConfig } from '../../http/normalize-path.js';
import { HTTP_RBAC_TYPE_URL, NETWORK_RBAC_TYPE_URL } from '../../../xds/rbac-filters.js';
import { decodeHttpRbac, decodeNetworkRbac } from './decode.js';
import type { RbacEngine } from './types.js';

export { HTTP_RBAC_TYPE_URL, NETWORK_RBAC_TYPE_URL };

/** An http_filters entry that is envoy.filters.http.rbac: its engine (undefined: allows all). */
export function decodeRbacHttpFilter(tc: J, path: string, routerSeen: boolean): RbacEngine | undefined {
  if (routerSeen) throw new ConfigRejection(path, 'the RBAC filter must come before the router');
  return decodeHttpRbac(tc, path);
}

/** The network filters in front of a chain's last filter: only envoy.filters.network.rbac. */
export function decodeNetworkRbacFilters(filters: readonly unknown[], chainPath: string): RbacEngine[] {
  const out: RbacEngine[] = [];
  filters.forEach((f, i) => {
    const fp = `${chainPath}.filters[${i}]`;
    const fo = obj(f, fp);
    const tc = obj(fo.typed_config, `${fp}.typed_config`);
    if (tc['@type'] !== NETWORK_RBAC_TYPE_URL) {
      throw new ConfigRejection(fp, `network filter ${String(fo.name)} (${String(tc['@type'])}) is not supported before the last filter; only envoy.filters.network.rbac`);
    }
    for (const k of Object.keys(fo)) if (k !== 'name' && k !== 'typed_config') throw new ConfigRejection(`${fp}.${k}`, 'field not supported by this proxy');
    const e = decodeNetworkRbac(tc, `${fp}.typed_config`);
    if (e) out.push(e);
  });
  return out;
}

const ESCAPED = ['KEEP_UNCHANGED', 'REJECT_REQUEST', 'UNESCAPE_AND_FORWARD', 'IMPLEMENTATION_SPECIFIC_DEFAULT'];

/** normalize_path, merge_slashes, path_with_escaped_slashes_action; undefined when none is on. */
export function decodePathNormalization(tc: J, path: string): PathNormalizationConfig | undefined {
  const normalize = bool(tc.normalize_path, `${path}.normalize_path`, false);
  const mergeSlashes = bool(tc.merge_slashes, `${path}.merge_slashes`, false);
  let escaped = 'KEEP_UNCHANGED';
  if (tc.path_with_escaped_slashes_action !== undefined) {
    const ap = `${path}.path_with_escaped_slashes_action`;
    escaped = str(tc.path_with_escaped_slashes_action, ap);
    if (!ESCAPED.includes(escaped)) throw new ConfigRejection(ap, `expected one of ${ESCAPED.join(', ')}, got ${escaped}`);
    if (escaped === 'IMPLEMENTATION_SPECIFIC_DEFAULT') escaped = 'KEEP_UNCHANGED';
  }
  if (!normalize && !mergeSlashes && escaped === 'KEEP_UNCHANGED') return undefined;
  return { normalize, mergeSlashes, escapedSlashes: escaped as PathNormalizationConfig['escapedSlashes'] };
}
