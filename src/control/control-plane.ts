// Wires the pipeline: sources → store → snapshot → debounce → push queue → ADS streams,
// plus the debug HTTP server. One instance per control plane process.
import path from 'node:path';
import type { KindName } from '../api/types.js';
import { formatConfigError, type ConfigError } from '../api/errors.js';
import { ConfigStore } from './store/config-store.js';
import { FileSource } from './sources/file-source.js';
import { AppliedStore } from './sources/applied-store.js';
import { buildSnapshot, emptySnapshot, type Snapshot } from './model/snapshot.js';
import { Debouncer } from './xds/debounce.js';
import { AdsServer } from './xds/ads-server.js';
import { ControlMetrics } from './metrics.js';
import { ControlPlaneBackend } from './backend.js';
import { startDebugServer, type DebugServer } from './debug/server.js';
import { JwksCache, wantedJwksUris } from './jwks/jwks-cache.js';
import { CertificateAuthority } from './ca/certificate-authority.js';
import { BootstrapTokenAuthenticator, bootstrapTokensFile, type Authenticator } from './ca/authenticator.js';
import { SecureXdsServer } from './ca/secure-server.js';
import { rootCaSecret, ROOTCA_SECRET } from './ca/sds.js';
import { caHttpHandler } from './ca/http.js';
import { TraceStore, tracesHttpHandler } from './debug/traces.js';
import { collectorAddress, type CollectorAddress } from './model/collector.js';
import type { OperatorCaFiles } from './ca/roots.js';

/** The built-in CA (control/ca/): always on; the TLS port only when `secureXds` is given. */
export interface CaSettings {
  /** Istio's 15012: certificate service + ADS over TLS. */
  secureXds?: { host: string; port: number };
  operator?: OperatorCaFiles;
  certTtlMs?: number;
  maxCertTtlMs?: number;
  /** Defaults to local mode's bootstrap tokens (STATE/identity/tokens.json). */
  authenticator?: Authenticator;
}

export interface ControlPlaneOptions {
  configDirs: string[];
  stateDir: string;
  xds: { host: string; port: number };
  http: { host: string; port: number };
  /** --advertise-http-address: how proxies reach the HTTP port (the default trace collector, ./model/collector.ts). */
  advertiseHttp?: { host: string; port?: number };
  debounce: { quietMs: number; maxMs: number };
  log: (msg: string) => void;
  ca?: CaSettings;
}

export class ControlPlane {
  readonly store = new ConfigStore();
  /** Spans proxies export to POST /v1/traces; GET /debug/traces (./debug/traces.ts). */
  readonly traces = new TraceStore();
  readonly metrics: ControlMetrics;
  readonly ads: AdsServer;
  private snapshot: Snapshot = emptySnapshot();
  /** The default trace collector (this process's HTTP port) as proxies reach it; known once the port is. */
  private collector: CollectorAddress | undefined;
  private readonly debouncer: Debouncer;
  private readonly files: FileSource;
  private readonly registry: FileSource;
  private readonly applied: AppliedStore;
  private debug: DebugServer | null = null;
  /** RequestAuthentication jwksUri keys, fetched here and inlined by translation (./jwks/). */
  private readonly jwks: JwksCache;
  readonly ca: CertificateAuthority;
  private secure: SecureXdsServer | null = null;
  xdsPort = 0;
  httpPort = 0;
  secureXdsPort = 0;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.metrics = new ControlMetrics(() => this.ads.connections.size, () => this.snapshot.version);
    const ca = opts.ca ?? {};
    this.ca = new CertificateAuthority({
      stateDir: opts.stateDir,
      ...(ca.operator ? { operator: ca.operator } : {}),
      trustDomain: () => this.snapshot.mesh.trustDomain,
      authenticator: ca.authenticator ?? new BootstrapTokenAuthenticator(bootstrapTokensFile(opts.stateDir)),
      ...(ca.certTtlMs !== undefined ? { defaultTtlMs: ca.certTtlMs } : {}),
      ...(ca.maxCertTtlMs !== undefined ? { maxTtlMs: ca.maxCertTtlMs } : {}),
      log: opts.log,
    });
    let secrets: ReadonlyMap<string, Record<string, unknown>> = new Map();
    this.ca.onChange(() => {
      secrets = new Map([[ROOTCA_SECRET, rootCaSecret(this.ca.bundlePem())]]);
      this.ads.pushSecrets();
    });
    this.ads = new AdsServer({ snapshot: () => this.snapshot, metrics: this.metrics, log: opts.log, secrets: () => secrets });
    this.caStarted = async () => {
      await this.ca.start();
      secrets = new Map([[ROOTCA_SECRET, rootCaSecret(this.ca.bundlePem())]]);
    };
    this.debouncer = new Debouncer(opts.debounce, (change, debounceMs) => {
      this.metrics.debounceTime.observe(debounceMs / 1000);
      this.rebuild(change.kinds);
      this.ads.pushAll(change.firstAt);
    });
    this.jwks = new JwksCache({
      log: opts.log,
      onChange: () => {
        // New keys: a snapshot with the same indexes and the new JWKS, pushed at once.
        this.snapshot = buildSnapshot(this.snapshot.version + 1, this.snapshot.byKind, this.snapshot, new Set(), this.jwks.current(), this.collector);
        this.ads.pushAll(performance.now());
      },
    });
    this.store.onChange((kinds) => this.debouncer.push({ kinds, at: performance.now() }));
    const onErrors = (errs: ConfigError[]): void => {
      const bad = errs.filter((e) => e.severity === 'error');
      if (bad.length) this.metrics.configErrors.inc(bad.length);
      for (const e of errs) opts.log(`config ${e.severity}: ${formatConfigError(e)}`);
    };
    this.files = new FileSource({ dirs: opts.configDirs, onResources: (r) => this.store.setLayer('files', r), onErrors });
    this.registry = new FileSource({
      dirs: [path.join(opts.stateDir, 'registry')],
      onResources: (r) => this.store.setLayer('registry', r),
      onErrors,
    });
    this.applied = new AppliedStore(path.join(opts.stateDir, 'applied'));
  }

  private readonly caStarted: () => Promise<void>;

  currentSnapshot(): Snapshot {
    return this.snapshot;
  }

  /** `changed` undefined rebuilds every index. */
  private rebuild(changed: ReadonlySet<KindName> | undefined): void {
    this.snapshot = buildSnapshot(this.snapshot.version + 1, this.store.byKind(), changed ? this.snapshot : undefined, changed, this.jwks.current(), this.collector);
    this.jwks.sync(wantedJwksUris(this.snapshot));
  }

  async start(): Promise<void> {
    for (const e of this.applied.load()) this.opts.log(`applied config error: ${e}`);
    this.store.setLayer('applied', this.applied.list());
    this.files.start();
    this.registry.start();
    // The first snapshot is built at once, not debounced: proxies connecting now get full config.
    this.debouncer.stop();
    if (this.opts.http.port !== 0) this.collector = collectorAddress(this.opts.http, this.opts.advertiseHttp);
    this.rebuild(undefined);
    await this.caStarted();
    this.xdsPort = await this.ads.start(this.opts.xds.host, this.opts.xds.port);
    const secureAt = this.opts.ca?.secureXds;
    if (secureAt) {
      this.secure = new SecureXdsServer(this.ca, this.ads.handlers(), this.opts.log);
      this.secureXdsPort = await this.secure.start(secureAt.host, secureAt.port);
    }
    const backend = new ControlPlaneBackend({
      store: this.store,
      applied: this.applied,
      ads: this.ads,
      metrics: this.metrics,
      onApplied: () => this.store.setLayer('applied', this.applied.list()),
      httpAddress: () => this.debug?.address ?? this.opts.http,
    });
    const ca = caHttpHandler(this.ca);
    const traces = tracesHttpHandler(this.traces);
    this.debug = await startDebugServer(backend, { ...this.opts.http, fallback: (req, res) => ca(req, res) || traces(req, res) });
    this.httpPort = this.debug.address.port;
    if (this.opts.http.port === 0) {
      // An ephemeral HTTP port is known only now: the collector address changes, so push it.
      this.collector = collectorAddress({ host: this.opts.http.host, port: this.httpPort }, this.opts.advertiseHttp);
      this.snapshot = buildSnapshot(this.snapshot.version + 1, this.snapshot.byKind, this.snapshot, new Set(), this.jwks.current(), this.collector);
      this.ads.pushAll(performance.now());
    }
  }

  async stop(): Promise<void> {
    this.debouncer.stop();
    this.jwks.stop();
    this.files.stop();
    this.registry.stop();
    this.ca.stop();
    await this.secure?.stop();
    await this.ads.stop();
    await this.debug?.close();
    this.metrics.process.stop();
  }
}
