// Test support for translation: loading YAML cases, building snapshots, turning translate()'s maps
// into golden JSON, deep-freezing inputs, and proving every resource is valid Envoy proto (encode →
// decode round trip). Used by the *.test.ts files beside it and in ../model; not by production code.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { formatConfigError } from '../../api/errors.js';
import { parseYamlText } from '../../api/parse.js';
import type { KindName, Resource } from '../../api/types.js';
import { decodeResource, encodeResource, WRAPPERS } from '../../xds/json-codec.js';
import { nodeId, type ProxyMetadata } from '../../xds/node-metadata.js';
import { lookupType, TYPE_URL, type XdsType } from '../../xds/protos.js';
import type { ProxyModel } from '../model/proxy.js';
import { parseLocality } from '../../api/locality.js';
import { buildSnapshot, type Snapshot } from '../model/snapshot.js';
import type { CollectorAddress } from '../model/collector.js';
import type { Json } from './clusters.js';
import type { ProxyResources } from './index.js';
import { repoRoot } from '../../testing/repo-root.js';

// ---------------------------------------------------------------- locations


/** src/control/translate/testdata in the source tree (tests run from dist/). */
export function testdataDir(...parts: string[]): string {
  return join(repoRoot(), 'src', 'control', 'translate', 'testdata', ...parts);
}

/** Names of the golden case directories (those holding an input.yaml), sorted. */
export function goldenCases(): string[] {
  return readdirSync(testdataDir(), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(testdataDir(d.name, 'input.yaml')))
    .map((d) => d.name)
    .sort();
}

export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

// ---------------------------------------------------------------- inputs

/** Parses multi-document YAML; any error or warning fails loudly (inputs must be clean). */
export function loadResources(text: string, file = 'input.yaml'): Resource[] {
  const { resources, errors } = parseYamlText(text, file);
  assert.deepEqual(errors.map(formatConfigError), [], `${file} must parse without errors or warnings`);
  return resources;
}

export function groupByKind(resources: readonly Resource[]): Map<KindName, Resource[]> {
  const m = new Map<KindName, Resource[]>();
  for (const r of resources) {
    const list = m.get(r.kind) ?? [];
    list.push(r);
    m.set(r.kind, list);
  }
  return m;
}

/** The control plane HTTP address golden cases translate with (the default trace collector). */
export const GOLDEN_COLLECTOR: CollectorAddress = Object.freeze({ host: '127.0.0.1', port: 15014 });

/** `collector` absent: no default trace collector (tracing stays off unless a provider is configured). */
export function snapshotOf(resources: readonly Resource[], version = 1, collector?: CollectorAddress): Snapshot {
  return buildSnapshot(version, groupByKind(resources), undefined, undefined, undefined, collector);
}

const REQUIRED_STRINGS = ['NAME', 'NAMESPACE', 'WORKLOAD_NAME', 'SERVICE_ACCOUNT', 'INSTANCE_IP', 'ADMIN_ADDRESS', 'CLUSTER_ID'] as const;

/** Checks a proxy.json by hand (it is typed input, so a typo must not pass silently). */
export function proxyMetadataFrom(value: unknown, file = 'proxy.json'): ProxyMetadata {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `${file}: expected an object`);
  const o = value as Record<string, unknown>;
  const known = new Set<string>(['type', 'LABELS', 'OUTBOUND_PORT', 'PORT_MAP', ...REQUIRED_STRINGS]);
  for (const k of Object.keys(o)) assert.ok(known.has(k), `${file}: unknown field "${k}"`);
  assert.ok(o.type === 'sidecar' || o.type === 'router', `${file}: type must be "sidecar" or "router"`);
  for (const k of REQUIRED_STRINGS) assert.equal(typeof o[k], 'string', `${file}: ${k} must be a string`);
  assert.ok(typeof o.LABELS === 'object' && o.LABELS !== null, `${file}: LABELS must be a map`);
  if (o.OUTBOUND_PORT !== undefined) assert.equal(typeof o.OUTBOUND_PORT, 'number', `${file}: OUTBOUND_PORT must be a number`);
  if (o.PORT_MAP !== undefined) assert.ok(typeof o.PORT_MAP === 'object' && o.PORT_MAP !== null, `${file}: PORT_MAP must be a map`);
  return o as unknown as ProxyMetadata;
}

export function proxyOf(metadata: ProxyMetadata): ProxyModel {
  return { id: nodeId(metadata), metadata };
}

/** A sidecar's metadata with sensible defaults; override what the test is about. */
export function sidecarMetadata(overrides: Partial<ProxyMetadata> = {}): ProxyMetadata {
  return {
    type: 'sidecar',
    NAME: 'client-0',
    NAMESPACE: 'default',
    WORKLOAD_NAME: 'client',
    LABELS: { app: 'client' },
    SERVICE_ACCOUNT: 'default',
    INSTANCE_IP: '127.0.9.1',
    ADMIN_ADDRESS: '127.0.9.1:15000',
    CLUSTER_ID: 'Kubernetes',
    ...overrides,
  };
}

export interface GoldenCase {
  name: string;
  resources: Resource[];
  proxy: ProxyModel;
}

export function loadCase(name: string): GoldenCase {
  const dir = testdataDir(name);
  const resources = loadResources(readFileSync(join(dir, 'input.yaml'), 'utf8'), `${name}/input.yaml`);
  // Optional "locality": "region/zone/subzone" is the proxy's xDS node.locality, not metadata.
  const { locality, ...raw } = JSON.parse(readFileSync(join(dir, 'proxy.json'), 'utf8')) as Record<string, unknown>;
  const metadata = proxyMetadataFrom(raw, `${name}/proxy.json`);
  const proxy = proxyOf(metadata);
  if (locality !== undefined) {
    assert.equal(typeof locality, 'string', `${name}/proxy.json: locality must be "region/zone/subzone"`);
    proxy.locality = parseLocality(locality as string);
  }
  return { name, resources, proxy };
}

// ---------------------------------------------------------------- freezing

/**
 * Freezes a value and everything reachable from it. Maps and Sets are frozen too: their mutators
 * are replaced by functions that throw, so a translation that writes anywhere fails loudly.
 */
export function deepFreeze<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k, seen);
      deepFreeze(v, seen);
    }
    lockCollection(value, ['set', 'delete', 'clear']);
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v, seen);
    lockCollection(value, ['add', 'delete', 'clear']);
  }
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<string | symbol, unknown>)[key], seen);
  }
  return Object.freeze(value);
}

function lockCollection(c: object, methods: readonly string[]): void {
  for (const m of methods) {
    Object.defineProperty(c, m, {
      value: () => {
        throw new TypeError(`attempt to ${m} on a frozen ${c.constructor.name}`);
      },
    });
  }
}

// ---------------------------------------------------------------- golden output

export interface GoldenOutput {
  clusters: Json[];
  endpoints: Json[];
  listeners: Json[];
  routes: Json[];
  secrets?: Json[];
}

function sortedValues(m: ReadonlyMap<string, Json>): Json[] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** translate() output as golden JSON: each map as an array sorted by resource name. */
export function toGolden(res: ProxyResources): GoldenOutput {
  const out: GoldenOutput = {
    clusters: sortedValues(res.cluster),
    endpoints: sortedValues(res.endpoint),
    listeners: sortedValues(res.listener),
    routes: sortedValues(res.route),
  };
  if (res.secret.size > 0) out.secrets = sortedValues(res.secret);
  return out;
}

/**
 * Compares with `<dir>/expected.json`, or rewrites it when UPDATE_GOLDEN=1. The actual value is
 * compared as is (not JSON-normalised), so an `undefined` field in the output is a difference.
 */
export function checkGolden(dir: string, actual: GoldenOutput): void {
  const file = join(dir, 'expected.json');
  if (UPDATE_GOLDEN) {
    writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
    return;
  }
  assert.ok(existsSync(file), `${file} is missing: run the test with UPDATE_GOLDEN=1 to create it`);
  const expected = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  assert.deepStrictEqual(actual, expected, `translation differs from ${file} (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}

// ---------------------------------------------------------------- proto validity

const KEEP_AS_IS: ReadonlySet<string> = new Set([
  'google.protobuf.Duration',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  ...WRAPPERS,
]);

function isDefaultScalar(field: protobuf.Field, value: unknown): boolean {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) return value === 0 || value === rt.valuesById[0];
  return value === 0 || value === '' || value === false;
}

/**
 * What proto3 can represent of an Envoy-JSON message: fields holding their default (0, "", false,
 * the zero enum, an empty list or map) are dropped unless they belong to a oneof (which has
 * presence). Decoding encoded bytes gives exactly this.
 */
export function protoCanonical(type: protobuf.Type, json: unknown): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const name = type.fullName.replace(/^\./, '');
  if (KEEP_AS_IS.has(name)) return json;
  const src = json as Record<string, unknown>;
  if (name === 'google.protobuf.Any') {
    const url = src['@type'];
    if (typeof url !== 'string') return json;
    const { '@type': _t, ...rest } = src;
    return { '@type': url, ...(protoCanonical(lookupType(url.slice(url.lastIndexOf('/') + 1)), rest) as object) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(src)) {
    const field = type.fields[key];
    if (!field) {
      out[key] = value;
      continue;
    }
    field.resolve();
    const ft = field.resolvedType;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[key] = Object.fromEntries(entries.map(([k, v]) => [k, ft instanceof protobuf.Type ? protoCanonical(ft, v) : v]));
    } else if (field.repeated) {
      const list = value as unknown[];
      if (list.length === 0) continue;
      out[key] = ft instanceof protobuf.Type ? list.map((v) => protoCanonical(ft, v)) : list;
    } else if (ft instanceof protobuf.Type) {
      out[key] = protoCanonical(ft, value);
    } else if (field.partOf === null && isDefaultScalar(field, value)) {
      continue;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * Encodes one resource as its xDS proto (unknown fields throw, naming the path), decodes it back
 * and asserts the round trip gives the same JSON (modulo proto3 defaults, see protoCanonical).
 */
export function assertEncodes(type: XdsType, json: Json, label = String(json.name ?? json.cluster_name)): void {
  const url = TYPE_URL[type];
  let bytes: Buffer;
  try {
    bytes = encodeResource(url, json);
  } catch (e) {
    assert.fail(`${type} ${label} does not encode as ${url}: ${(e as Error).message}`);
  }
  const back = decodeResource(url, bytes);
  const want = protoCanonical(lookupType(url.slice(url.lastIndexOf('/') + 1)), json);
  assert.deepStrictEqual(back, want, `${type} ${label}: decode(encode(json)) differs from the JSON`);
  assert.ok(encodeResource(url, back).equals(bytes), `${type} ${label}: re-encoding the decoded JSON gives different bytes`);
}

/** assertEncodes for every resource of every type. */
export function assertAllEncode(res: ProxyResources): void {
  for (const type of Object.keys(TYPE_URL) as XdsType[]) {
    for (const [name, json] of res[type]) assertEncodes(type, json, name);
  }
}
