// Loads Envoy's xDS v3 .proto files from the maintained npm package that ships them
// (@grpc/grpc-js-xds, deps/) into one protobufjs Root. Field names keep the proto's snake_case,
// so the objects we build and golden-test look like Envoy's own JSON config.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { decodeResource, encodeResource } from './json-codec.js';

const require = createRequire(import.meta.url);

export const TYPE_URL = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

export type XdsType = keyof typeof TYPE_URL;
export const TYPE_BY_URL: ReadonlyMap<string, XdsType> = new Map(
  (Object.entries(TYPE_URL) as [XdsType, string][]).map(([k, v]) => [v, k]),
);

export const HCM_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

const PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  // Telemetry: access logs (file logger, CEL filter) and the stats filter's TypedStruct.
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/config/trace/v3/zipkin.proto',
  'envoy/config/trace/v3/opentelemetry.proto',
  'envoy/extensions/request_id/uuid/v3/uuid.proto',
  'envoy/extensions/access_loggers/filters/cel/v3/cel.proto',
  'xds/type/v3/typed_struct.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
];

function includeDirs(): string[] {
  const xdsPkg = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  const pbPkg = path.dirname(require.resolve('protobufjs/package.json'));
  const deps = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(xdsPkg, 'deps', d));
  return [...deps, pbPkg];
}

let cached: protobuf.Root | undefined;

/** The protobufjs Root holding every xDS message Weft uses. Loaded once per process. */
export function xdsRoot(): protobuf.Root {
  if (cached) return cached;
  const dirs = includeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (path.isAbsolute(target) && fs.existsSync(target)) return target;
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(PROTO_FILES, { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

export function lookupType(name: string): protobuf.Type {
  return xdsRoot().lookupType(name);
}

/** Options that turn decoded messages into plain JSON-like objects (Any as {"@type": ...}). */
export const TO_OBJECT: protobuf.IConversionOptions = {
  enums: String,
  longs: Number,
  bytes: String,
  defaults: false,
  json: true,
};

/** Encodes a resource in Envoy JSON form (snake_case) into a google.protobuf.Any. */
export function packAny(typeUrl: string, resource: object): { type_url: string; value: Buffer } {
  return { type_url: typeUrl, value: encodeResource(typeUrl, resource) };
}

/** Decodes a google.protobuf.Any into Envoy JSON form. Throws if the type is unknown or bytes are bad. */
export function unpackAny(any: { type_url: string; value: Uint8Array }): Record<string, unknown> {
  return decodeResource(any.type_url, any.value);
}
