import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeListener } from '../../config/decode-listener.js';
import { HCM_TYPE_URL, ROUTER_TYPE_URL } from '../../../xds/protos.js';
import { TCP_PROXY_TYPE_URL } from '../../../xds/network-filters.js';
import { HTTP_RBAC_TYPE_URL, NETWORK_RBAC_TYPE_URL } from '../../../xds/rbac-filters.js';
import { decodeHttpRbac } from './decode.js';

const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL } };
const rbac = (rules: unknown): Record<string, unknown> => ({ name: 'envoy.filters.http.rbac', typed_config: { '@type': HTTP_RBAC_TYPE_URL, rules } });
const ANY_POLICY = { p: { permissions: [{ any: true }], principals: [{ any: true }] } };

function hcmListener(httpFilters: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'inbound|8000',
    address: { socket_address: { address: '127.0.48.1', port_value: 8000 } },
    traffic_direction: 'INBOUND',
    filter_chains: [{ filters: [{ name: 'hcm', typed_config: { '@type': HCM_TYPE_URL, http_filters: httpFilters, rds: { route_config_name: 'r', config_source: { ads: {} } }, ...extra } }] }],
  };
}

test('HCM: RBAC filters before the router are decoded in order; path normalization fields are read', () => {
  const l = decodeListener(hcmListener([rbac({ action: 'DENY', policies: ANY_POLICY }), rbac({ policies: {} }), ROUTER], { normalize_path: true, merge_slashes: true, path_with_escaped_slashes_action: 'UNESCAPE_AND_FORWARD' }));
  assert.deepEqual(l.hcm.rbac?.map((e) => [e.action, e.policies.map((p) => p.name)]), [['DENY', ['p']], ['ALLOW', []]]);
  assert.deepEqual(l.hcm.pathNormalization, { normalize: true, mergeSlashes: true, escapedSlashes: 'UNESCAPE_AND_FORWARD' });
  const plain = decodeListener(hcmListener([ROUTER]));
  assert.equal(plain.hcm.rbac, undefined);
  assert.equal(plain.hcm.pathNormalization, undefined);
});

test('NACKs name the field: unknown permission/principal kinds, policy fields, filter order, escaped-slash action', () => {
  assert.throws(() => decodeListener(hcmListener([ROUTER, rbac({ policies: {} })])), /http_filters\[1\]\.typed_config: the RBAC filter must come before the router/);
  assert.throws(
    () => decodeHttpRbac({ '@type': HTTP_RBAC_TYPE_URL, rules: { policies: { p: { permissions: [{ metadata: {} }], principals: [{ any: true }] } } } }, 'f'),
    /f\.rules\.policies\["p"\]\.permissions\[0\]\.metadata: permission rule not supported/,
  );
  assert.throws(
    () => decodeHttpRbac({ '@type': HTTP_RBAC_TYPE_URL, rules: { policies: { p: { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact: 'x' }, foo: 1 } }] } } } }, 'f'),
    /principals\[0\]\.authenticated\.foo: field not supported/,
  );
  assert.throws(
    () => decodeHttpRbac({ '@type': HTTP_RBAC_TYPE_URL, rules: { policies: { p: { permissions: [{ any: true }], principals: [{ any: true }], condition: {} } } } }, 'f'),
    /policies\["p"\]\.condition: field not supported/,
  );
  assert.throws(() => decodeHttpRbac({ '@type': HTTP_RBAC_TYPE_URL, shadow_rules: {} }, 'f'), /f\.shadow_rules: field not supported/);
  assert.throws(
    () => decodeHttpRbac({ '@type': HTTP_RBAC_TYPE_URL, rules: { policies: { p: { permissions: [{ any: true }], principals: [{ metadata: { filter: 'other', path: [{ key: 'k' }], value: { string_match: { exact: 'v' } } } }] } } } }, 'f'),
    /metadata\.filter: only istio_authn/,
  );
  assert.throws(() => decodeListener(hcmListener([ROUTER], { path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT' })), /path_with_escaped_slashes_action: expected one of/);
});

test('network RBAC: only in front of tcp_proxy on a single-chain listener', () => {
  const net = { name: 'envoy.filters.network.rbac', typed_config: { '@type': NETWORK_RBAC_TYPE_URL, stat_prefix: 'tcp.', rules: { action: 'DENY', policies: ANY_POLICY } } };
  const tcp = { name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY_TYPE_URL, stat_prefix: 's', cluster: 'inbound|9000||' } };
  const base = { name: 'inbound|9000', address: { socket_address: { address: '127.0.48.1', port_value: 9000 } }, traffic_direction: 'INBOUND' };
  const l = decodeListener({ ...base, filter_chains: [{ filters: [net, tcp] }] });
  assert.equal(l.networkRbac?.[0]?.action, 'DENY');
  assert.equal(l.networkRbac?.[0]?.statPrefix, 'tcp.');
  assert.throws(() => decodeListener({ ...base, filter_chains: [{ filters: [tcp, tcp] }] }), /filters\[0\]: network filter .* only envoy\.filters\.network\.rbac/);
  const hcm = { name: 'hcm', typed_config: { '@type': HCM_TYPE_URL, http_filters: [ROUTER], rds: { route_config_name: 'r', config_source: { ads: {} } } } };
  assert.throws(() => decodeListener({ ...base, filter_chains: [{ filters: [net, hcm] }] }), /only in front of tcp_proxy/);
});
