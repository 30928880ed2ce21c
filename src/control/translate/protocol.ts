// The upstream protocol of a cluster from its port's protocol, as Istio sets it: HTTP2 and GRPC
// ports get HttpProtocolOptions with explicit_http_config.http2_protocol_options (h2c with prior
// knowledge); anything else stays HTTP/1.1. Runs after the connection pool, whose options it keeps.
import type { PortProtocol } from '../../api/types.js';
import { HTTP_PROTOCOL_OPTIONS_KEY, HTTP_PROTOCOL_OPTIONS_TYPE, type Json } from './traffic-policy.js';

export function usesHttp2(protocol: PortProtocol): boolean {
  return protocol === 'HTTP2' || protocol === 'GRPC';
}

export function applyUpstreamProtocol(cluster: Json, protocol: PortProtocol): void {
  if (!usesHttp2(protocol)) return;
  const all = (cluster.typed_extension_protocol_options as Json | undefined) ?? {};
  const existing = (all[HTTP_PROTOCOL_OPTIONS_KEY] as Json | undefined) ?? { '@type': HTTP_PROTOCOL_OPTIONS_TYPE };
  cluster.typed_extension_protocol_options = {
    ...all,
    [HTTP_PROTOCOL_OPTIONS_KEY]: { ...existing, explicit_http_config: { http2_protocol_options: {} } },
  };
}
