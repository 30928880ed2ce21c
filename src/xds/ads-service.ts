// The xDS v3 Aggregated Discovery Service as a hand-built grpc-js service definition, shared by the
// control plane (server) and the proxy (client). Messages travel in protobufjs object form with the
// proto's snake_case names; Any values stay as Buffers so each side decodes resources itself.
import * as grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { xdsRoot } from './protos.js';

export const ADS_SERVICE_NAME = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

/** google.rpc.Code INVALID_ARGUMENT: what a NACK carries in error_detail.code. */
export const NACK_CODE_INVALID_ARGUMENT = 3;

/** A packed resource as it travels: the type URL and the encoded message bytes. */
export interface AnyResource {
  type_url: string;
  value: Buffer;
}

/** google.protobuf.Struct in protobufjs object form; build one with toStruct(). */
export interface StructMessage {
  fields?: Record<string, Record<string, unknown>>;
}

/** envoy.config.core.v3.Node, the fields Weft uses. */
export interface XdsNode {
  id?: string;
  cluster?: string;
  metadata?: StructMessage;
  /** envoy.config.core.v3.Locality: where the proxy runs (locality-aware load balancing). */
  locality?: { region?: string; zone?: string; sub_zone?: string };
  user_agent_name?: string;
  user_agent_version?: string;
  client_features?: string[];
}

/** google.rpc.Status as carried in a NACK. */
export interface ErrorDetail {
  code: number;
  message: string;
  details?: AnyResource[];
}

export interface DiscoveryRequest {
  version_info?: string;
  node?: XdsNode;
  resource_names?: string[];
  type_url: string;
  response_nonce?: string;
  error_detail?: ErrorDetail;
}

export interface DiscoveryResponse {
  version_info: string;
  resources: AnyResource[];
  type_url: string;
  nonce: string;
}

/** Incremental xDS: declared now so the service definition is complete; used once delta lands. */
export interface DeltaDiscoveryRequest {
  node?: XdsNode;
  type_url: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: ErrorDetail;
}

/** envoy.service.discovery.v3.Resource: one named, versioned resource in a delta response. */
export interface DeltaResource {
  name: string;
  version: string;
  resource?: AnyResource;
  aliases?: string[];
}

export interface DeltaDiscoveryResponse {
  system_version_info?: string;
  resources: DeltaResource[];
  type_url: string;
  removed_resources?: string[];
  nonce: string;
}

/**
 * Conversion for messages on the wire. Unlike TO_OBJECT in protos.ts this leaves out `json` (which
 * would expand every Any into {"@type": ...}) and `bytes` (so bytes fields stay Buffers).
 */
const WIRE_TO_OBJECT: protobuf.IConversionOptions = {
  enums: String,
  longs: Number,
  defaults: false,
  arrays: true,
};

function codec<T>(typeName: string): { serialize: (v: T) => Buffer; deserialize: (b: Buffer) => T } {
  let type: protobuf.Type | undefined;
  const get = (): protobuf.Type => (type ??= xdsRoot().lookupType(typeName));
  return {
    serialize: (value: T): Buffer => {
      const t = get();
      return Buffer.from(t.encode(t.fromObject(value as object)).finish());
    },
    deserialize: (bytes: Buffer): T => {
      const t = get();
      // Node's protobufjs reader yields Buffer slices for bytes fields when given a Buffer.
      const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
      return t.toObject(t.decode(buf), WIRE_TO_OBJECT) as T;
    },
  };
}

function method<Req, Res>(name: string, reqType: string, resType: string): grpc.MethodDefinition<Req, Res> {
  const req = codec<Req>(reqType);
  const res = codec<Res>(resType);
  return {
    path: `/${ADS_SERVICE_NAME}/${name}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: req.serialize,
    requestDeserialize: req.deserialize,
    responseSerialize: res.serialize,
    responseDeserialize: res.deserialize,
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
  };
}

export interface AdsServiceImplementation extends grpc.UntypedServiceImplementation {
  StreamAggregatedResources: grpc.handleBidiStreamingCall<DiscoveryRequest, DiscoveryResponse>;
  DeltaAggregatedResources: grpc.handleBidiStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}

/** Pass to grpc.Server#addService; a missing handler answers UNIMPLEMENTED. */
export const ADS_SERVICE: grpc.ServiceDefinition<AdsServiceImplementation> = {
  StreamAggregatedResources: method<DiscoveryRequest, DiscoveryResponse>(
    'StreamAggregatedResources',
    'envoy.service.discovery.v3.DiscoveryRequest',
    'envoy.service.discovery.v3.DiscoveryResponse',
  ),
  DeltaAggregatedResources: method<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(
    'DeltaAggregatedResources',
    'envoy.service.discovery.v3.DeltaDiscoveryRequest',
    'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  ),
};

export interface AdsStub extends grpc.Client {
  StreamAggregatedResources(
    metadata?: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  DeltaAggregatedResources(
    metadata?: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}

export type AdsStubConstructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ChannelOptions>,
) => AdsStub;

/** A grpc-js client class for the ADS service. */
export function makeAdsClientConstructor(): AdsStubConstructor {
  return grpc.makeGenericClientConstructor(ADS_SERVICE, ADS_SERVICE_NAME) as unknown as AdsStubConstructor;
}

// ---- google.protobuf.Struct <-> JSON-ish values -------------------------------------------------
//
// protobufjs ships Struct/Value from its own built-in definitions, whose field names may be
// camelCase (stringValue) even when the rest of the root keeps snake_case. Read the names from the
// loaded type so both spellings work, and accept either when reading.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

type ValueKind = 'null_value' | 'number_value' | 'string_value' | 'bool_value' | 'struct_value' | 'list_value';
const KINDS: readonly ValueKind[] = [
  'null_value',
  'number_value',
  'string_value',
  'bool_value',
  'struct_value',
  'list_value',
];

const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

let valueFieldNames: Record<ValueKind, string> | undefined;

function fieldName(kind: ValueKind): string {
  if (!valueFieldNames) {
    const fields = xdsRoot().lookupType('google.protobuf.Value').fields;
    const names = {} as Record<ValueKind, string>;
    for (const k of KINDS) names[k] = k in fields ? k : camel(k);
    valueFieldNames = names;
  }
  return valueFieldNames[kind];
}

function toValue(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined) return { [fieldName('null_value')]: 0 };
  switch (typeof v) {
    case 'number':
      return { [fieldName('number_value')]: v };
    case 'string':
      return { [fieldName('string_value')]: v };
    case 'boolean':
      return { [fieldName('bool_value')]: v };
    case 'bigint':
      return { [fieldName('number_value')]: Number(v) };
    case 'object':
      if (Array.isArray(v)) return { [fieldName('list_value')]: { values: v.map(toValue) } };
      return { [fieldName('struct_value')]: toStruct(v) };
    default:
      throw new TypeError(`cannot represent a ${typeof v} in google.protobuf.Struct`);
  }
}

/** Converts a JSON-like object into google.protobuf.Struct object form. Undefined fields are skipped. */
export function toStruct(obj: object): StructMessage {
  const fields: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    fields[k] = toValue(v);
  }
  return { fields };
}

function pick(v: Record<string, unknown>, kind: ValueKind): unknown {
  const snake = v[kind];
  return snake !== undefined ? snake : v[camel(kind)];
}

function fromValue(v: Record<string, unknown> | null | undefined): JsonValue {
  if (!v) return null;
  const num = pick(v, 'number_value');
  if (num !== undefined) return Number(num);
  const str = pick(v, 'string_value');
  if (str !== undefined) return String(str);
  const bool = pick(v, 'bool_value');
  if (bool !== undefined) return Boolean(bool);
  const struct = pick(v, 'struct_value');
  if (struct !== undefined) return fromStruct(struct as StructMessage);
  const list = pick(v, 'list_value') as { values?: Record<string, unknown>[] } | undefined;
  if (list !== undefined) return (list.values ?? []).map(fromValue);
  return null;
}

/** Converts google.protobuf.Struct object form (as decoded from the wire) back into plain JSON. */
export function fromStruct(struct: StructMessage | null | undefined): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(struct?.fields ?? {})) out[k] = fromValue(v);
  return out;
}
