// Proto3 JSON mapping for the well-known types protobufjs leaves alone.
//
// Translation produces resources in Envoy's JSON form (snake_case, durations as "1.5s", Struct as
// plain JSON, wrappers as bare values, Any as {"@type": ...}), which is what golden files and
// config dumps show. protobufjs' fromObject/toObject expect the message form of those types, so
// these two functions walk the message reflection and convert at the edges.
import protobuf from 'protobufjs';
import { lookupType } from './protos.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

/** The protobuf wrapper types, which proto3 JSON writes as bare values. */
export const WRAPPERS: ReadonlySet<string> = new Set([
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int64Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.UInt32Value',
  'google.protobuf.BoolValue',
  'google.protobuf.StringValue',
  'google.protobuf.BytesValue',
]);

function fullName(t: protobuf.Type): string {
  return t.fullName.startsWith('.') ? t.fullName.slice(1) : t.fullName;
}

export function parseDurationJson(s: string): { seconds: number; nanos: number } {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(s);
  if (!m) throw new Error(`invalid duration "${s}": expected seconds like "1.5s"`);
  const sign = m[1] === '-' ? -1 : 1;
  const seconds = Number(m[2]);
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  return { seconds: sign * seconds, nanos: sign * nanos };
}

export function formatDurationJson(d: { seconds?: number | string; nanos?: number }): string {
  const seconds = Number(d.seconds ?? 0);
  const nanos = Number(d.nanos ?? 0);
  if (nanos === 0) return `${seconds}s`;
  const total = Math.abs(seconds) + Math.abs(nanos) / 1e9;
  const neg = seconds < 0 || nanos < 0;
  return `${neg ? '-' : ''}${total.toFixed(9).replace(/0+$/, '')}s`;
}

// protobufjs defines google.protobuf.Value from its built-in (camelCase) descriptors even when the
// rest of the root keeps snake_case, so read the field names from the loaded type.
type ValueKind = 'null_value' | 'number_value' | 'string_value' | 'bool_value' | 'struct_value' | 'list_value';
let valueNames: Record<ValueKind, string> | undefined;
function vf(kind: ValueKind): string {
  if (!valueNames) {
    const fields = lookupType('google.protobuf.Value').fields;
    const camel = (k: string): string => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    const names = {} as Record<ValueKind, string>;
    for (const k of ['null_value', 'number_value', 'string_value', 'bool_value', 'struct_value', 'list_value'] as ValueKind[]) {
      names[k] = k in fields ? k : camel(k);
    }
    valueNames = names;
  }
  return valueNames[kind];
}

function valueToProto(v: unknown): Obj {
  if (v === null || v === undefined) return { [vf('null_value')]: 0 };
  if (typeof v === 'boolean') return { [vf('bool_value')]: v };
  if (typeof v === 'number') return { [vf('number_value')]: v };
  if (typeof v === 'string') return { [vf('string_value')]: v };
  if (Array.isArray(v)) return { [vf('list_value')]: { values: v.map(valueToProto) } };
  return { [vf('struct_value')]: structToProto(v as Obj) };
}

function structToProto(o: Obj): Obj {
  const fields: Obj = {};
  for (const [k, v] of Object.entries(o)) fields[k] = valueToProto(v);
  return { fields };
}

function valueFromProto(v: Obj): Json {
  const has = (k: ValueKind): boolean => v[vf(k)] !== undefined && v[vf(k)] !== null;
  if (has('string_value')) return v[vf('string_value')] as string;
  if (has('number_value')) return v[vf('number_value')] as number;
  if (has('bool_value')) return v[vf('bool_value')] as boolean;
  if (has('struct_value')) return structFromProto(v[vf('struct_value')] as Obj);
  if (has('list_value')) {
    const values = ((v[vf('list_value')] as Obj).values as Obj[] | undefined) ?? [];
    return values.map(valueFromProto);
  }
  return null;
}

function structFromProto(s: Obj): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  const fields = (s.fields as Record<string, Obj> | undefined) ?? {};
  for (const [k, v] of Object.entries(fields)) out[k] = valueFromProto(v);
  return out;
}

function convertIn(type: protobuf.Type, json: unknown, path: string): unknown {
  const name = fullName(type);
  if (name === 'google.protobuf.Duration') {
    if (typeof json === 'string') return parseDurationJson(json);
    return json;
  }
  if (name === 'google.protobuf.Struct') return structToProto((json ?? {}) as Obj);
  if (name === 'google.protobuf.Value') return valueToProto(json);
  if (WRAPPERS.has(name)) return typeof json === 'object' && json !== null ? json : { value: json };
  if (name === 'google.protobuf.Any') {
    const obj = json as Obj;
    const typeUrl = obj['@type'];
    if (typeof typeUrl !== 'string') throw new Error(`${path}: Any without "@type"`);
    const inner = lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
    const { '@type': _t, ...rest } = obj;
    const converted = convertIn(inner, rest, path) as Obj;
    return { type_url: typeUrl, value: inner.encode(inner.fromObject(converted)).finish() };
  }
  if (typeof json !== 'object' || json === null) return json;
  const src = json as Obj;
  const out: Obj = {};
  for (const [key, value] of Object.entries(src)) {
    const field = type.fields[key];
    if (!field) throw new Error(`${path}.${key}: unknown field of ${name}`);
    field.resolve();
    const ft = field.resolvedType;
    if (ft instanceof protobuf.Type) {
      if (field.map) {
        const m: Obj = {};
        for (const [mk, mv] of Object.entries(value as Obj)) m[mk] = convertIn(ft, mv, `${path}.${key}[${mk}]`);
        out[key] = m;
      } else if (field.repeated) {
        out[key] = (value as unknown[]).map((v, i) => convertIn(ft, v, `${path}.${key}[${i}]`));
      } else {
        out[key] = convertIn(ft, value, `${path}.${key}`);
      }
    } else {
      out[key] = value;
    }
  }
  return out;
}

function convertOut(type: protobuf.Type, obj: unknown): unknown {
  const name = fullName(type);
  if (name === 'google.protobuf.Duration') return formatDurationJson(obj as { seconds?: number; nanos?: number });
  if (name === 'google.protobuf.Struct') return structFromProto(obj as Obj);
  if (name === 'google.protobuf.Value') return valueFromProto(obj as Obj);
  if (WRAPPERS.has(name)) return (obj as Obj).value ?? (name === 'google.protobuf.BoolValue' ? false : 0);
  if (name === 'google.protobuf.Any') {
    const any = obj as Obj;
    const typeUrl = (any['@type'] ?? any.type_url) as string;
    const inner = lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
    const { '@type': _t, type_url: _u, value, ...rest } = any;
    const decoded = value instanceof Uint8Array ? inner.toObject(inner.decode(value), TO_OBJECT_RAW) : rest;
    return { '@type': typeUrl, ...(convertOut(inner, decoded) as Obj) };
  }
  if (typeof obj !== 'object' || obj === null) return obj;
  const out: Obj = {};
  for (const [key, value] of Object.entries(obj as Obj)) {
    const field = type.fields[key];
    if (!field) {
      out[key] = value;
      continue;
    }
    field.resolve();
    const ft = field.resolvedType;
    if (ft instanceof protobuf.Type) {
      if (field.map) {
        const m: Obj = {};
        for (const [mk, mv] of Object.entries(value as Obj)) m[mk] = convertOut(ft, mv);
        out[key] = m;
      } else if (field.repeated) {
        out[key] = (value as unknown[]).map((v) => convertOut(ft, v));
      } else {
        out[key] = convertOut(ft, value);
      }
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Keeps Any as {type_url, value: bytes} so convertOut can decode it with the right type. */
const TO_OBJECT_RAW: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: false, json: false };

function typeOf(typeUrl: string): protobuf.Type {
  return lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
}

/** Envoy JSON form → protobuf bytes. Throws with the field path on unknown fields. */
export function encodeResource(typeUrl: string, json: object): Buffer {
  const type = typeOf(typeUrl);
  const obj = convertIn(type, json, '') as Obj;
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

/** protobuf bytes → Envoy JSON form. Throws if the bytes do not decode as that type. */
export function decodeResource(typeUrl: string, bytes: Uint8Array): Record<string, unknown> {
  const type = typeOf(typeUrl);
  const raw = type.toObject(type.decode(bytes), TO_OBJECT_RAW);
  return convertOut(type, raw) as Record<string, unknown>;
}
