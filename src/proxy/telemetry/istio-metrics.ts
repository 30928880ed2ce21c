// Istio's standard HTTP metrics, recorded once per request by the proxy's stats filter:
// istio_requests_total, istio_request_duration_milliseconds, istio_request_bytes and
// istio_response_bytes, with Istio's 25 labels (plus the cluster names again as source_cluster_id / destination_cluster_id) and its rules for unknown peers and fallbacks.
//
// Hot path. Building a string key from the label values and hashing it costs several times more
// than the four updates it selects (measured: ~250 ns against ~35 ns), so the cache key is made
// of small integers instead. A peer's seven label values and a service's three are resolved once
// per distinct content and interned to an id; each peer/service object remembers its id
// (WeakMap) with the fields it came from, so a reused object costs a few identity compares and
// a mutated one is re-resolved. The other labels are enums, the status code and an interned
// response-flags id. Two numbers then find the cached bundle of the four series in two Map
// lookups, and the series are updated in place. Only a never-seen label set allocates.
//
// Telemetry API overrides (./metric-overrides.ts: drop a metric, remove or upsert tags) take a
// separate, compiled-once path: the standard values, then each family's plan, then a series lookup.

import { LABEL_KEY_SEPARATOR } from '../../telemetry/prom.js';
import type { CounterChild, HistogramChild, Counter, Histogram, Registry } from '../../telemetry/prom.js';
import type { PeerMetadata } from '../../xds/node-metadata.js';
import type { CelAttributes } from '../../cel/cel.js';
import { applyPlan, familyLayout, HTTP_METRICS, isStandard, overridesKey, type FamilyLayout, type ReporterOverrides, type ReporterPlan } from './metric-overrides.js';

export const ISTIO_LABEL_NAMES = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_canonical_service',
  'source_canonical_revision',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'destination_canonical_service',
  'destination_canonical_revision',
  'request_protocol',
  'response_code',
  'response_flags',
  'connection_security_policy',
  'source_cluster',
  'destination_cluster',
  // The same cluster names under the `_id` names the mesh's issue tracker and some multi-cluster
  // dashboards use (Istio's node metadata field is CLUSTER_ID); remove with a Telemetry tagOverride.
  'source_cluster_id',
  'destination_cluster_id',
  'grpc_response_status',
] as const;

export type IstioLabelName = (typeof ISTIO_LABEL_NAMES)[number];

/** Istio's istio_request_duration_milliseconds buckets. */
export const DURATION_BUCKETS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** Istio's byte-size buckets: 1 to 10^9, ×10. */
export const BYTES_BUCKETS: readonly number[] = [
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
];

export interface DestinationService {
  /** e.g. "shipping.shop.svc.cluster.local" */
  host: string;
  /** e.g. "shipping"; '' derives it from a cluster-local host. */
  name: string;
  /** e.g. "shop"; '' derives it from a cluster-local host. */
  namespace: string;
}

export interface RequestRecord {
  reporter: 'source' | 'destination';
  /** The client workload; null when it is outside the mesh or sent no metadata. */
  source: PeerMetadata | null;
  /** The server workload; null when it has no sidecar (no metadata came back). */
  destination: PeerMetadata | null;
  destinationService: DestinationService | null;
  requestProtocol: 'http' | 'grpc';
  /** 0 when no response was sent (downstream disconnect). */
  responseCode: number;
  /** Envoy-style response flags ("UH", "UF,URX", ...); '-' (or '') when none. */
  responseFlags: string;
  connectionSecurityPolicy: 'none' | 'mutual_tls' | 'unknown';
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
  /** gRPC streams: messages each way (istio_request_messages_total / istio_response_messages_total). */
  grpcMessages?: { request: number; response: number; status: string } | null;
}

export interface IstioMetricsOptions {
  /** Cluster DNS domain for deriving service name/namespace from hosts. Default "cluster.local". */
  clusterDomain?: string;
}

/** A peer object's segment id and the label-relevant fields it was computed from. */
interface PeerMemo {
  id: number;
  workload: string;
  namespace: string;
  principal: string;
  app: string;
  version: string;
  cluster: string;
  canonicalService: string | undefined;
  canonicalRevision: string | undefined;
}

interface ServiceMemo {
  id: number;
  host: string;
  name: string;
  namespace: string;
}

interface SeriesBundle {
  requests: CounterChild;
  duration: HistogramChild;
  requestBytes: HistogramChild;
  responseBytes: HistogramChild;
  /** Where the bundle sits in the cache, to forget it when a series is dropped. */
  k1: number;
  k2: number;
}

const UNKNOWN = 'unknown';
const SEP = LABEL_KEY_SEPARATOR;
const CODE_STRINGS: string[] = Array.from({ length: 600 }, (_, i) => String(i));
const GRPC_STATUS_STRINGS: readonly string[] = Array.from({ length: 17 }, (_, i) => String(i));
const NO_PEER: readonly string[] = Array.from({ length: 8 }, () => UNKNOWN);
const NO_SERVICE: readonly string[] = [UNKNOWN, UNKNOWN, UNKNOWN];

// Key layout. k1 = src + SEGMENTS * dst (a small integer); k2 = svc + SEGMENTS * (code slot +
// CODE_SLOTS * (enums + ENUM_COMBOS * (flags id + FLAG_IDS * gRPC status slot))), an exact
// integer below 2^53.
const SEGMENTS = 16384;
/** Interned peer/service label sets before the caches start over (bounds hostile churn). */
const MAX_SEGMENTS = 10_000;
const CODE_SLOTS = 1024;
/** Status codes 0..999 are their own slot; others are interned into the slots above. */
const DIRECT_CODES = 1000;
const ENUM_COMBOS = 12; // reporter (2) x protocol (2) x security policy (3)
const MAX_FLAGS = 256;
/** Flag ids run 0..MAX_FLAGS + 1 (the cache starts over past that). */
const FLAG_IDS = MAX_FLAGS + 2;

export class IstioMetrics {
  requests: Counter;
  duration: Histogram;
  requestBytes: Histogram;
  responseBytes: Histogram;
  /** Telemetry API overrides per family (HTTP_METRICS order); null: Istio's standard metrics. */
  private layouts: FamilyLayout[] | null = null;
  private ovKey = overridesKey({});
  /** gRPC message counts, always with Istio's standard labels (Telemetry overrides do not apply). */
  readonly requestMessages: Counter;
  readonly responseMessages: Counter;
  private readonly clusterSuffix: string;
  /** k1 -> k2 -> the four series. */
  private readonly bundles = new Map<number, Map<number, SeriesBundle>>();
  private bundleCount = 0;
  /** Series key (all label values joined) -> bundle, to forget a bundle when its series is dropped. */
  private readonly bySeriesKey = new Map<string, SeriesBundle>();
  /** Joined label values of a peer (7) or service (3) -> id, and id -> those values. */
  private readonly segmentIds = new Map<string, number>();
  private segmentValues: (readonly string[])[] = [];
  private peerMemos = new WeakMap<PeerMetadata, PeerMemo>();
  private serviceMemos = new WeakMap<DestinationService, ServiceMemo>();
  private readonly flagIds = new Map<string, number>();
  private readonly otherCodes = new Map<number, number>();
  private noPeerId = 0;
  private noServiceId = 0;

  constructor(
    private readonly registry: Registry,
    opts: IstioMetricsOptions = {},
  ) {
    this.clusterSuffix = clusterSuffix(opts.clusterDomain);
    [this.requests, this.duration, this.requestBytes, this.responseBytes] = this.register(HTTP_METRICS.map(() => ISTIO_LABEL_NAMES));
    this.requestMessages = registry.counter({
      name: 'istio_request_messages_total',
      help: 'gRPC messages sent by the client.',
      labelNames: ISTIO_LABEL_NAMES,
    });
    this.responseMessages = registry.counter({
      name: 'istio_response_messages_total',
      help: 'gRPC messages sent by the server.',
      labelNames: ISTIO_LABEL_NAMES,
    });
    this.resetCaches();
  }

  /** Registers the four families with the given label names (in HTTP_METRICS order). */
  private register(names: readonly (readonly string[])[]): [Counter, Histogram, Histogram, Histogram] {
    const r = this.registry;
    const requests = r.counter({
      name: 'istio_requests_total',
      help: 'Total number of requests handled by the proxy.',
      labelNames: names[0],
    });
    const duration = r.histogram({
      name: 'istio_request_duration_milliseconds',
      help: 'Request duration in milliseconds, from request start to the end of the response.',
      labelNames: names[1],
      buckets: DURATION_BUCKETS_MS,
    });
    const requestBytes = r.histogram({
      name: 'istio_request_bytes',
      help: 'Request size in bytes (headers and body).',
      labelNames: names[2],
      buckets: BYTES_BUCKETS,
    });
    const responseBytes = r.histogram({
      name: 'istio_response_bytes',
      help: 'Response size in bytes (headers and body).',
      labelNames: names[3],
      buckets: BYTES_BUCKETS,
    });
    // A dropped series (expiry, registry.remove) invalidates the bundle that holds it.
    const forget = (child: { key: string }): void => {
      const b = this.bySeriesKey.get(child.key);
      if (b !== undefined) this.forget(b);
    };
    requests.onRemove(forget);
    duration.onRemove(forget);
    requestBytes.onRemove(forget);
    responseBytes.onRemove(forget);
    return [requests, duration, requestBytes, responseBytes];
  }

  /**
   * Applies Telemetry API metric overrides (./metric-overrides.ts). A change re-registers the four
   * families with their new label names (their series start over, as after a proxy restart);
   * the same overrides again change nothing.
   */
  setOverrides(ov: ReporterOverrides): void {
    const key = overridesKey(ov);
    if (key === this.ovKey) return;
    this.ovKey = key;
    const layouts = HTTP_METRICS.map((m) => familyLayout(m, ISTIO_LABEL_NAMES, ov));
    const standard = layouts.every((l) => isStandard(l, ISTIO_LABEL_NAMES));
    if (standard && this.layouts === null) return;
    for (const f of [this.requests, this.duration, this.requestBytes, this.responseBytes]) this.registry.remove(f.name);
    this.resetCaches();
    this.layouts = standard ? null : layouts;
    [this.requests, this.duration, this.requestBytes, this.responseBytes] = this.register(
      standard ? HTTP_METRICS.map(() => ISTIO_LABEL_NAMES) : layouts.map((l) => l.labelNames),
    );
  }

  /** True when overrides read request attributes (the caller should pass them to record). */
  get needsAttributes(): boolean {
    return this.layouts?.some((l) => l.plans.some((p) => p.dynamic)) ?? false;
  }

  /**
   * Records one finished request. Pass the same peer and service objects from request to request
   * (PeerMetadataCache does for peers) and their labels are resolved once; a fresh object per
   * request is correct but pays for resolving its labels every time.
   */
  record(r: RequestRecord, attrs?: CelAttributes): void {
    if (this.layouts !== null) return this.recordOverridden(r, this.layouts, attrs);
    const b = this.bundleFor(r);
    b.requests.inc();
    b.duration.observe(r.durationMs);
    b.requestBytes.observe(r.requestBytes);
    b.responseBytes.observe(r.responseBytes);
    const g = r.grpcMessages;
    if (g) {
      // gRPC only: one lookup per stream by the request series' label values.
      this.requestMessages.labelsFrom(b.requests.labelValues).inc(g.request);
      this.responseMessages.labelsFrom(b.requests.labelValues).inc(g.response);
    }
  }

  /** With overrides: each family's values through its reporter's plan, without the id cache. */
  private recordOverridden(r: RequestRecord, layouts: FamilyLayout[], attrs: CelAttributes | undefined): void {
    const g = r.grpcMessages;
    const rep0 = r.reporter === 'destination' ? 1 : 0;
    // Every family disabled for this reporter: nothing to resolve (the common "metrics off" case).
    if (!g && layouts.every((l) => l.plans[rep0]?.disabled !== false)) return;
    const std = labelsOf(r, this.clusterSuffix);
    if (g) {
      this.requestMessages.labelsFrom(std).inc(g.request);
      this.responseMessages.labelsFrom(std).inc(g.response);
    }
    const rep = r.reporter === 'destination' ? 1 : 0;
    const plan = (i: number): ReporterPlan | undefined => {
      const p = layouts[i]?.plans[rep];
      return p && !p.disabled ? p : undefined;
    };
    let p = plan(0);
    if (p) this.requests.labelsFrom(applyPlan(p, std, attrs)).inc();
    p = plan(1);
    if (p) this.duration.labelsFrom(applyPlan(p, std, attrs)).observe(r.durationMs);
    p = plan(2);
    if (p) this.requestBytes.labelsFrom(applyPlan(p, std, attrs)).observe(r.requestBytes);
    p = plan(3);
    if (p) this.responseBytes.labelsFrom(applyPlan(p, std, attrs)).observe(r.responseBytes);
  }

  /** Number of cached label sets (tests, debugging). */
  get cachedSeries(): number {
    return this.bundleCount;
  }

  private bundleFor(r: RequestRecord): SeriesBundle {
    if (this.segmentValues.length > MAX_SEGMENTS || this.flagIds.size > MAX_FLAGS) this.resetCaches();
    const enums = enumIndex(r);
    const code = this.codeSlot(r.responseCode);
    const grpc = grpcSlot(r);
    if (enums < 0 || code < 0 || grpc < 0) return this.uncachedBundle(r);
    const src = this.peerSegment(r.source);
    const dst = this.peerSegment(r.destination);
    const svc = this.serviceSegment(r.destinationService);
    const f = r.responseFlags;
    const flags = f === '-' || f === '' ? 0 : this.flagId(f);
    const k1 = src + SEGMENTS * dst;
    const k2 = svc + SEGMENTS * (code + CODE_SLOTS * (enums + ENUM_COMBOS * (flags + FLAG_IDS * grpc)));
    const b = this.bundles.get(k1)?.get(k2);
    if (b === undefined || stale(b)) return this.createBundle(r, src, dst, svc, k1, k2);
    return b;
  }

  private peerSegment(p: PeerMetadata | null): number {
    if (p === null) return this.noPeerId;
    const m = this.peerMemos.get(p);
    if (
      m !== undefined &&
      m.workload === p.workload &&
      m.namespace === p.namespace &&
      m.principal === p.principal &&
      m.app === p.app &&
      m.version === p.version &&
      m.cluster === p.cluster &&
      m.canonicalService === p.canonicalService &&
      m.canonicalRevision === p.canonicalRevision
    ) {
      return m.id;
    }
    const id = this.intern(peerLabels(p));
    const { workload, namespace, principal, app, version, cluster, canonicalService, canonicalRevision } = p;
    this.peerMemos.set(p, { id, workload, namespace, principal, app, version, cluster, canonicalService, canonicalRevision });
    return id;
  }

  private serviceSegment(svc: DestinationService | null): number {
    if (svc === null) return this.noServiceId;
    const m = this.serviceMemos.get(svc);
    if (m !== undefined && m.host === svc.host && m.name === svc.name && m.namespace === svc.namespace) {
      return m.id;
    }
    const id = this.intern(serviceLabels(svc, this.clusterSuffix));
    const { host, name, namespace } = svc;
    this.serviceMemos.set(svc, { id, host, name, namespace });
    return id;
  }

  /** Sanitized values join without ambiguity, and 8-value and 3-value sets never coincide. */
  private intern(values: readonly string[]): number {
    const content = values.join(SEP);
    let id = this.segmentIds.get(content);
    if (id === undefined) {
      id = this.segmentValues.length;
      this.segmentIds.set(content, id);
      this.segmentValues.push(values);
    }
    return id;
  }

  private flagId(flags: string): number {
    let id = this.flagIds.get(flags);
    if (id === undefined) {
      id = this.flagIds.size + 1; // 0 is '-'
      this.flagIds.set(flags, id);
    }
    return id;
  }

  /** The key slot of a status code, or -1 when the few slots for unusual codes are taken. */
  private codeSlot(code: number): number {
    if (code >= 0 && code < DIRECT_CODES && Number.isInteger(code)) return code;
    let slot = this.otherCodes.get(code);
    if (slot === undefined) {
      if (this.otherCodes.size >= CODE_SLOTS - DIRECT_CODES) return -1;
      slot = DIRECT_CODES + this.otherCodes.size;
      this.otherCodes.set(code, slot);
    }
    return slot;
  }

  private createBundle(r: RequestRecord, src: number, dst: number, svc: number, k1: number, k2: number): SeriesBundle {
    const b = this.seriesFor(
      assembleLabels(
        r,
        this.segmentValues[src] ?? NO_PEER,
        this.segmentValues[dst] ?? NO_PEER,
        this.segmentValues[svc] ?? NO_SERVICE,
      ),
      k1,
      k2,
    );
    let inner = this.bundles.get(k1);
    if (inner === undefined) {
      inner = new Map();
      this.bundles.set(k1, inner);
    }
    if (!inner.has(k2)) this.bundleCount++;
    inner.set(k2, b);
    this.bySeriesKey.set(b.requests.key, b);
    return b;
  }

  /** Values outside the typed enums (untyped callers): correct labels, no caching. */
  private uncachedBundle(r: RequestRecord): SeriesBundle {
    return this.seriesFor(labelsOf(r, this.clusterSuffix), -1, -1);
  }

  private seriesFor(values: readonly string[], k1: number, k2: number): SeriesBundle {
    return {
      requests: this.requests.labelsFrom(values),
      duration: this.duration.labelsFrom(values),
      requestBytes: this.requestBytes.labelsFrom(values),
      responseBytes: this.responseBytes.labelsFrom(values),
      k1,
      k2,
    };
  }

  private forget(b: SeriesBundle): void {
    this.bySeriesKey.delete(b.requests.key);
    const inner = this.bundles.get(b.k1);
    if (inner === undefined || inner.get(b.k2) !== b) return;
    inner.delete(b.k2);
    this.bundleCount--;
    if (inner.size === 0) this.bundles.delete(b.k1);
  }

  /** Starts the interning over; every cache key built from the old ids goes with it. */
  private resetCaches(): void {
    this.bundles.clear();
    this.bundleCount = 0;
    this.bySeriesKey.clear();
    this.segmentIds.clear();
    this.segmentValues = [];
    this.peerMemos = new WeakMap();
    this.serviceMemos = new WeakMap();
    this.flagIds.clear();
    this.otherCodes.clear();
    this.noPeerId = this.intern(NO_PEER);
    this.noServiceId = this.intern(NO_SERVICE);
  }
}

/** A series was dropped but the bundle not yet forgotten (its label set had an alias key). */
function stale(b: SeriesBundle): boolean {
  return b.requests.removed || b.duration.removed || b.requestBytes.removed || b.responseBytes.removed;
}

/** grpc_response_status slot: 0 for none, 1 + status for "0".."16", -1 (not cached) for others. */
function grpcSlot(r: RequestRecord): number {
  const s = r.grpcMessages?.status ?? '';
  if (s === '') return 0;
  const n = GRPC_STATUS_STRINGS.indexOf(s);
  return n < 0 ? -1 : n + 1;
}

/** reporter + 2 * protocol + 4 * security policy, or -1 for a value outside the enums. */
function enumIndex(r: RequestRecord): number {
  const rep = r.reporter === 'source' ? 0 : r.reporter === 'destination' ? 1 : -1;
  const proto = r.requestProtocol === 'http' ? 0 : r.requestProtocol === 'grpc' ? 1 : -1;
  const p = r.connectionSecurityPolicy;
  const sec = p === 'unknown' ? 0 : p === 'mutual_tls' ? 1 : p === 'none' ? 2 : -1;
  if (rep < 0 || proto < 0 || sec < 0) return -1;
  return rep + 2 * proto + 4 * sec;
}

/**
 * The standard label values of a request, in ISTIO_LABEL_NAMES order, following Istio's stats plugin:
 * a missing peer is "unknown" throughout; empty app/version/principal are "unknown"; canonical
 * service is the peer's canonical-name label, else app, else workload name; canonical revision
 * the canonical-revision label, else version, else "latest".
 * U+0001 (the registry's key separator) in a value becomes U+FFFD.
 */
export function resolveIstioLabels(r: RequestRecord, clusterDomain?: string): string[] {
  return labelsOf(r, clusterSuffix(clusterDomain));
}

function labelsOf(r: RequestRecord, suffix: string): string[] {
  return assembleLabels(
    r,
    r.source === null ? NO_PEER : peerLabels(r.source),
    r.destination === null ? NO_PEER : peerLabels(r.destination),
    r.destinationService === null ? NO_SERVICE : serviceLabels(r.destinationService, suffix),
  );
}

function assembleLabels(
  r: RequestRecord,
  src: readonly string[],
  dst: readonly string[],
  svc: readonly string[],
): string[] {
  const at = (a: readonly string[], i: number): string => a[i] ?? UNKNOWN;
  return [
    clean(String(r.reporter)),
    ...src.slice(0, 7),
    at(dst, 0), // workload
    at(dst, 1), // namespace
    at(dst, 2), // principal
    at(dst, 3), // app
    at(dst, 4), // version
    ...svc,
    at(dst, 5), // canonical service
    at(dst, 6), // canonical revision
    clean(String(r.requestProtocol)),
    codeString(r.responseCode),
    clean(String(r.responseFlags || '-')),
    clean(String(r.connectionSecurityPolicy)),
    at(src, 7), // cluster
    at(dst, 7),
    at(src, 7), // cluster, as source_cluster_id / destination_cluster_id
    at(dst, 7),
    clean(String(r.grpcMessages?.status ?? '')),
  ];
}

/** workload, namespace, principal, app, version, canonical service, canonical revision, cluster. */
function peerLabels(p: PeerMetadata): string[] {
  return [
    clean(p.workload || UNKNOWN),
    clean(p.namespace || UNKNOWN),
    clean(p.principal || UNKNOWN),
    clean(p.app || UNKNOWN),
    clean(p.version || UNKNOWN),
    clean(p.canonicalService || p.app || p.workload || UNKNOWN),
    clean(p.canonicalRevision || p.version || 'latest'),
    clean(p.cluster || UNKNOWN),
  ];
}

/** destination_service, destination_service_name, destination_service_namespace. */
function serviceLabels(svc: DestinationService, suffix: string): string[] {
  if (svc.host === '') return [UNKNOWN, clean(svc.name || UNKNOWN), clean(svc.namespace || UNKNOWN)];
  return [
    clean(svc.host),
    clean(svc.name || hostLabel(svc.host, 0, suffix)),
    clean(svc.namespace || hostLabel(svc.host, 1, suffix)),
  ];
}

/** Name (0) or namespace (1) of "<name>.<namespace>.svc.<domain>"; "unknown" for other hosts. */
function hostLabel(host: string, which: 0 | 1, suffix: string): string {
  if (!host.endsWith(suffix)) return UNKNOWN;
  const parts = host.slice(0, host.length - suffix.length).split('.');
  if (parts.length !== 2) return UNKNOWN;
  return parts[which] || UNKNOWN;
}

function clusterSuffix(domain = 'cluster.local'): string {
  return `.svc.${domain}`;
}

function codeString(code: number): string {
  return (code >= 0 && code < 600 ? CODE_STRINGS[code] : undefined) ?? String(code);
}

function clean(v: string): string {
  return v.includes(SEP) ? v.replaceAll(SEP, '\ufffd') : v;
}
