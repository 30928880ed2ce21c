// Syntax checks for names, hosts and addresses. Each check returns undefined when the string is
// fine, or the "expected ..." phrase for the error message (the reader appends ", got ...").

import { isIP } from 'node:net';

export type Check = (s: string) => string | undefined;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Host labels: DNS is case-insensitive and Istio accepts upper case in hosts. */
const HOST_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && s.split('.').every(isDnsLabel);
}

/** A host name (no wildcard): "reviews", "reviews.default.svc.cluster.local", "api.example.com". */
export function isHostname(s: string): boolean {
  const h = s.endsWith('.') ? s.slice(0, -1) : s;
  return h.length > 0 && h.length <= 253 && h.split('.').every((l) => l.length <= 63 && HOST_LABEL.test(l));
}

export const dnsLabel: Check = (s) =>
  isDnsLabel(s) ? undefined : 'expected a DNS label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)';

export const dnsSubdomain: Check = (s) =>
  isDnsSubdomain(s)
    ? undefined
    : 'expected a DNS-1123 name (lower-case letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters)';

/** A destination host: a name or an IP, never a wildcard. */
export const hostname: Check = (s) => {
  if (s.includes('*')) return 'expected a service host without wildcards (a destination is one service)';
  return isHostname(s) || isIP(s) !== 0 ? undefined : 'expected a host name like "reviews" or "reviews.default.svc.cluster.local"';
};

/** A host that may be a wildcard: "*", "*.example.com", "reviews", an IP. */
export const hostPattern: Check = (s) => {
  if (s === '*' || isIP(s) !== 0) return undefined;
  const rest = s.startsWith('*.') ? s.slice(2) : s;
  if (rest.includes('*')) return 'expected a host; a wildcard is only allowed as a whole leading label ("*.example.com")';
  return isHostname(rest) ? undefined : 'expected a host like "reviews", "api.example.com" or "*.example.com"';
};

export const ipAddress: Check = (s) => (isIP(s) !== 0 ? undefined : 'expected an IP address');

/** An IP address or a CIDR block ("10.0.0.0/8"). */
export const ipOrCidr: Check = (s) => {
  const slash = s.indexOf('/');
  const ip = slash < 0 ? s : s.slice(0, slash);
  const version = isIP(ip);
  if (version === 0) return 'expected an IP address or CIDR block like "10.1.0.0/16"';
  if (slash < 0) return undefined;
  const bits = s.slice(slash + 1);
  const max = version === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max ? undefined : `expected a CIDR prefix length 0..${max}`;
};

export const ipOrHostname: Check = (s) =>
  isIP(s) !== 0 || isHostname(s) ? undefined : 'expected an IP address or a host name';

/** Kubernetes label/annotation key: optional DNS-subdomain prefix and "/", then a name. */
export const labelKey: Check = (s) => {
  const slash = s.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : s.slice(0, slash);
  const name = slash < 0 ? s : s.slice(slash + 1);
  const ok = (prefix === undefined || isDnsSubdomain(prefix)) && name.length <= 63 && LABEL_NAME.test(name);
  return ok ? undefined : 'expected a label key like "app" or "example.com/tier" (letters, digits, "-", "_" and ".", at most 63 characters after an optional DNS prefix and "/")';
};

export const labelValue: Check = (s) =>
  s === '' || (s.length <= 63 && LABEL_NAME.test(s))
    ? undefined
    : 'expected a label value (letters, digits, "-", "_" and ".", starting and ending with a letter or digit, at most 63 characters)';

export const envName: Check = (s) =>
  ENV_NAME.test(s) ? undefined : 'expected an environment variable name (letters, digits and "_", not starting with a digit)';

/** exportTo entries: ".", "*", "~" or a namespace. */
export const exportTarget: Check = (s) =>
  s === '.' || s === '*' || s === '~' || isDnsLabel(s) ? undefined : 'expected ".", "*", "~" or a namespace name';

/** A Gateway reference in a VirtualService: "mesh", "name" or "namespace/name". */
export const gatewayRef: Check = (s) => {
  if (s === 'mesh') return undefined;
  const parts = s.split('/');
  const ok =
    (parts.length === 1 && isDnsSubdomain(s)) ||
    (parts.length === 2 && isDnsLabel(parts[0] ?? '') && isDnsSubdomain(parts[1] ?? ''));
  return ok ? undefined : 'expected "mesh", a Gateway name or "namespace/name"';
};

/** Gateway server hosts: "*", "host", "ns/host", "*\/host", "./host"; host may be "*" or "*.domain". */
export const gatewayHost: Check = (s) => {
  const parts = s.split('/');
  if (parts.length > 2) return 'expected "host", "namespace/host", "*/host" or "./host"';
  const host = parts.length === 2 ? (parts[1] ?? '') : s;
  if (parts.length === 2) {
    const ns = parts[0] ?? '';
    if (!(ns === '*' || ns === '.' || ns === '~' || isDnsLabel(ns))) return 'expected the namespace part to be "*", "." or a namespace name';
  }
  return hostPattern(host) === undefined ? undefined : 'expected "host", "namespace/host", "*/host" or "./host", where host is "*", "*.example.com" or a host name';
};
