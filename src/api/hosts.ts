// Service host names, Kubernetes-style: "order" in namespace "shop" is
// order.shop.svc.cluster.local, and a client may call it by any of its short forms.

import { isIP } from 'node:net';

export const CLUSTER_DOMAIN = 'cluster.local';
const SVC_SUFFIX = `.svc.${CLUSTER_DOMAIN}`;

/**
 * Last labels that mean "this is a public DNS name, not name.namespace" when the caller does not
 * say which namespaces exist: keeps "httpbin.org" from becoming httpbin.org.svc.cluster.local.
 */
const PUBLIC_SUFFIXES: ReadonlySet<string> = new Set([
  'com', 'org', 'net', 'io', 'dev', 'app', 'ai', 'co', 'edu', 'gov', 'mil', 'int', 'info', 'biz',
  'me', 'us', 'uk', 'de', 'fr', 'jp', 'cn', 'eu', 'ca', 'au', 'in', 'nl', 'cloud', 'tech', 'xyz',
  'local', 'localhost', 'internal', 'lan', 'home', 'example', 'invalid', 'test', 'arpa',
]);

/** `<name>.<namespace>.svc.cluster.local` */
export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}${SVC_SUFFIX}`;
}

export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/**
 * The fully qualified form of a host written in `namespace`:
 *   order           → order.<namespace>.svc.cluster.local
 *   order.shop      → order.shop.svc.cluster.local
 *   order.shop.svc  → order.shop.svc.cluster.local
 * FQDNs, IPs and wildcards ("*.example.com", "*") are returned unchanged (a trailing "." is dropped).
 *
 * A two-label host is ambiguous ("order.shop" vs "httpbin.org"). With `namespaces` given, it is
 * expanded only when its second label is one of them; without, it is expanded unless the second
 * label is a common public suffix (com, org, io, dev, local, ...).
 */
export function resolveHost(rawHost: string, namespace: string, namespaces?: ReadonlySet<string>): string {
  // DNS names are case-insensitive; one spelling keeps virtual host domains unique.
  const host = rawHost.toLowerCase();
  if (host.includes('*') || isIP(host) !== 0) return host;
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  const labels = h.split('.');
  if (labels.length === 1) return serviceHost(h, namespace);
  if (labels.length === 3 && labels[2] === 'svc') return `${h}.${CLUSTER_DOMAIN}`;
  if (labels.length === 2) {
    const ns = labels[1] ?? '';
    const isNamespace = namespaces ? namespaces.has(ns) : !PUBLIC_SUFFIXES.has(ns.toLowerCase());
    if (isNamespace) return `${h}${SVC_SUFFIX}`;
  }
  return h;
}

/** `{ name, namespace }` of a `<name>.<namespace>.svc.cluster.local` host, else undefined. */
export function parseServiceHost(fqdn: string): { name: string; namespace: string } | undefined {
  if (!fqdn.endsWith(SVC_SUFFIX)) return undefined;
  const parts = fqdn.slice(0, -SVC_SUFFIX.length).split('.');
  if (parts.length !== 2) return undefined;
  const [name = '', namespace = ''] = parts;
  return name !== '' && namespace !== '' ? { name, namespace } : undefined;
}

/**
 * The names a client in `fromNamespace` may use for `fqdn`, shortest first:
 * same namespace → ["order", "order.shop", "order.shop.svc", fqdn];
 * another namespace → ["order.shop", "order.shop.svc", fqdn]; any other host → [fqdn].
 */
export function shortNames(fqdn: string, fromNamespace: string): string[] {
  const svc = parseServiceHost(fqdn);
  if (svc === undefined) return [fqdn];
  const qualified = `${svc.name}.${svc.namespace}`;
  const forms = [qualified, `${qualified}.svc`, fqdn];
  return svc.namespace === fromNamespace ? [svc.name, ...forms] : forms;
}

/**
 * Whether `pattern` covers `host`: equal, "*", or "*.suffix" matching any host ending in ".suffix".
 * Case-insensitive. Both should be resolved first (resolveHost).
 */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h || p === '*') return true;
  if (p.startsWith('*.')) {
    if (h.startsWith('*.')) return h.slice(1).endsWith(p.slice(1));
    return h.endsWith(p.slice(1));
  }
  return false;
}
