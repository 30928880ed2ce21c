// ORIGINAL_DST clusters (Istio's PassthroughCluster) in an explicit proxy: the destination is the
// request's authority (or the configured header), "host[:port]" with port 80 by default. IP
// literals are used as they are; names are resolved when connecting (net.connect → dns.lookup), so
// a name that does not resolve is a connect failure (503 UF) like any other. Hosts are made on
// demand and kept per cluster, most recently used last, at most MAX_DESTINATIONS of them: beyond
// that the least recently used host without requests in flight is dropped with its idle
// keep-alive connections. The cluster's pool and circuit breakers apply to all of them together.
import { isIP } from 'node:net';
import { noOriginalDestination } from '../errors.js';
import { Host } from './host.js';
import type { ClusterManager, ClusterRuntime } from './cluster-manager.js';
import type { ClusterPool } from './circuit-breaker.js';
import { getHeader } from '../http/codec/h1/headers.js';

/** Distinct destinations kept (with their pooled connections) per ORIGINAL_DST cluster. */
export const MAX_DESTINATIONS = 256;
const DEFAULT_PORT = 80;
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?$/;

/** Keyed by the cluster's pool, which outlives config updates of the same cluster name. */
const registries = new WeakMap<ClusterPool, Map<string, Host>>();

export interface Destination {
  address: string;
  port: number;
}

/** "host", "host:port", "[v6]", "[v6]:port" → a destination; throws a UH ProxyError when unusable. */
export function parseDestination(value: string): Destination {
  const v = value.trim().toLowerCase();
  if (v === '') throw noOriginalDestination('no host in the request');
  let address: string;
  let portText: string | undefined;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) throw noOriginalDestination(`bad host "${value}"`);
    address = v.slice(1, end);
    const rest = v.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) throw noOriginalDestination(`bad host "${value}"`);
    if (rest !== '') portText = rest.slice(1);
    if (isIP(address) !== 6) throw noOriginalDestination(`bad IPv6 address "${address}"`);
  } else {
    const colon = v.lastIndexOf(':');
    address = colon >= 0 ? v.slice(0, colon) : v;
    if (colon >= 0) portText = v.slice(colon + 1);
    if (address === '') throw noOriginalDestination('no host in the request');
    if (address.length > 253 || (isIP(address) !== 4 && !HOST_NAME.test(address))) throw noOriginalDestination(`bad host "${address}"`);
  }
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) throw noOriginalDestination(`bad port "${portText}"`);
  }
  return { address, port };
}


/**
 * This request's host in an ORIGINAL_DST cluster. `authority` is the request's (absolute-form
 * target or Host); `self` is the socket the request came in on, never a destination (it would
 * loop through the proxy).
 */
export function originalDstHost(
  cm: ClusterManager,
  cluster: ClusterRuntime,
  authority: string,
  headers: readonly string[],
  self: { localAddress?: string | undefined; localPort?: number | undefined },
): Host {
  const headerName = cluster.config.originalDst?.headerName ?? ':authority';
  const dst = parseDestination(headerName === ':authority' ? authority : (getHeader(headers, headerName) ?? ''));
  if (dst.port === self.localPort && dst.address === self.localAddress) {
    throw noOriginalDestination(`${dst.address}:${dst.port} is this proxy`);
  }
  let hosts = registries.get(cluster.pool);
  if (!hosts) {
    hosts = new Map();
    registries.set(cluster.pool, hosts);
  }
  const key = `${dst.address}:${dst.port}`;
  let h = hosts.get(key);
  if (h) {
    hosts.delete(key); // most recently used last
    hosts.set(key, h);
    return h;
  }
  h = new Host(dst.address, dst.port, { address: dst.address, port: dst.port, weight: 1, workload: undefined, serviceAccount: undefined });
  cm.adoptHost(cluster, h);
  hosts.set(key, h);
  evict(hosts);
  cluster.hosts = [...hosts.values()];
  return h;
}

function evict(hosts: Map<string, Host>): void {
  if (hosts.size <= MAX_DESTINATIONS) return;
  for (const [key, h] of hosts) {
    if (hosts.size <= MAX_DESTINATIONS) return;
    if (h.active > 0) continue;
    h.closeIdle();
    hosts.delete(key);
  }
}
