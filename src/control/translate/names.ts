// Istio's naming scheme for clusters and route configs, so dashboards and habits carry over.

export function outboundClusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export function parseClusterName(name: string): { direction: string; port: number; subset: string; host: string } | null {
  const parts = name.split('|');
  if (parts.length !== 4) return null;
  const [direction, port, subset, host] = parts as [string, string, string, string];
  return { direction, port: Number(port), subset, host };
}

export const OUTBOUND_LISTENER = 'outbound_http';
export const OUTBOUND_ROUTE = 'outbound_http';

export function inboundListenerName(port: number): string {
  return `inbound|${port}`;
}

export function gatewayListenerName(port: number): string {
  return `0.0.0.0_${port}`;
}

export function gatewayRouteName(port: number): string {
  return `http.${port}`;
}
