// Envoy JSON fixtures shared by the decoder and ConfigManager tests (fresh objects on every call).
import assert from 'node:assert/strict';
import { HCM_TYPE_URL, ROUTER_TYPE_URL } from '../../xds/protos.js';
import { ConfigRejection } from './check.js';

export type J = Record<string, unknown>;

// ---------------------------------------------------------------- fixtures (fresh objects each call)

export const ADS = (): J => ({ ads: {}, resource_api_version: 'V3' });
export const ROUTER = (): J => ({ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL } });

export function hcm(over: J = {}): J {
  return {
    '@type': HCM_TYPE_URL,
    stat_prefix: 'outbound_0.0.0.0_80',
    rds: { route_config_name: 'http.80', config_source: ADS() },
    http_filters: [ROUTER()],
    strip_any_host_port: true,
    use_remote_address: true,
    ...over,
  };
}

export function listener(over: J = {}, hcmOver: J = {}): J {
  return {
    name: '0.0.0.0_80',
    address: { socket_address: { address: '127.0.0.1', port_value: 8080 } },
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm(hcmOver) }] }],
    ...over,
  };
}

export function routeConfig(over: J = {}): J {
  return {
    name: 'http.80',
    virtual_hosts: [
      {
        name: 'shop',
        domains: ['shop.example.com', '*.shop.example.com', '*'],
        routes: [
          {
            name: 'orders',
            match: {
              prefix: '/order/',
              headers: [{ name: 'X-Env', string_match: { exact: 'canary' } }],
              query_parameters: [{ name: 'v', string_match: { prefix: '2' } }],
            },
            route: {
              weighted_clusters: {
                clusters: [
                  { name: 'order-v1', weight: 90 },
                  { name: 'order-v2', weight: 10 },
                ],
              },
              prefix_rewrite: '/',
              host_rewrite_literal: 'order.internal',
              timeout: '2.5s',
            },
          },
          { name: 'home', match: { prefix: '/' }, route: { cluster: 'home' } },
        ],
      },
    ],
    validate_clusters: false,
    ...over,
  };
}

export function edsCluster(name = 'outbound|80||order.default.svc.cluster.local', over: J = {}): J {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS(), service_name: name },
    connect_timeout: '0.25s',
    lb_policy: 'LEAST_REQUEST',
    metadata: { filter_metadata: { istio: { services: [{ host: 'order.default.svc.cluster.local', name: 'order', namespace: 'default' }] } } },
    ...over,
  };
}

export function lbEndpoint(address: string, port: number, over: J = {}): J {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, ...over };
}

export function cla(name = 'outbound|80||order.default.svc.cluster.local', endpoints: J[] = [lbEndpoint('127.0.5.1', 80)]): J {
  return { cluster_name: name, endpoints: [{ lb_endpoints: endpoints }] };
}

/** Asserts that `fn` throws a ConfigRejection for exactly this field path (and message text). */
export function rejects(fn: () => unknown, path: string, text?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigRejection, `expected a ConfigRejection, got ${String(err)}`);
    assert.equal(err.path, path);
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    if (text) assert.match(err.message, text);
    return true;
  });
}

