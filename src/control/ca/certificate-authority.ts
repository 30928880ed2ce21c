// The control plane's CA: signing material (generated or the operator's), the trust bundle (active
// root plus roots retiring after a rotation), SVID issuance for authenticated callers, and root
// rotation with an overlap. Listeners hear about bundle changes (→ SDS push of ROOTCA).
import { webcrypto } from 'node:crypto';
import { EC_P256, parsePemCerts, spiffeUri, summarize, type CertSummary, type CryptoKeyPair } from '../../security/x509.js';
import type { Authenticator, CallerIdentity } from './authenticator.js';
import { CsrRejected, DEFAULT_CERT_TTL_MS, issueServerCert, issueSvid, type IssuedCertificate } from './issuer.js';
import { CaError, loadOperatorCa, RootStore, type OperatorCaFiles, type RetiringRoot, type SigningMaterial } from './roots.js';
import { privateKeyPem } from '../../security/csr.js';

export interface CaOptions {
  stateDir: string;
  /** Sign with the operator's CA instead of a generated root. */
  operator?: OperatorCaFiles;
  /** The mesh trust domain at signing time (MeshConfig trustDomain). */
  trustDomain: () => string;
  authenticator: Authenticator;
  /** Leaf lifetime when the caller asks for none (default 24 h). */
  defaultTtlMs?: number;
  /** Upper bound on what a caller may ask for (default 90 days). */
  maxTtlMs?: number;
  log: (msg: string) => void;
}

/** Why a request was refused, with the gRPC-ish category. */
export class CaRequestError extends Error {
  constructor(
    readonly code: 'unauthenticated' | 'forbidden' | 'invalid' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

export interface CaStatus {
  mode: 'generated' | 'operator';
  trustDomain: string;
  defaultTtlSeconds: number;
  signingCertificate: CertSummary;
  roots: Array<CertSummary & { active: boolean; removeAt?: string }>;
  issued: number;
}

const SERVER_CERT_TTL_MS = 30 * 24 * 3600 * 1000;

export class CertificateAuthority {
  private material!: SigningMaterial;
  private retiring: RetiringRoot[] = [];
  private readonly store: RootStore;
  private readonly listeners: Array<() => void> = [];
  private removalTimer: NodeJS.Timeout | undefined;
  private issuedCount = 0;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;

  constructor(private readonly opts: CaOptions) {
    this.store = new RootStore(opts.stateDir);
    this.defaultTtlMs = opts.defaultTtlMs ?? DEFAULT_CERT_TTL_MS;
    this.maxTtlMs = Math.max(this.defaultTtlMs, opts.maxTtlMs ?? 90 * 24 * 3600 * 1000);
  }

  async start(): Promise<void> {
    this.material = this.opts.operator
      ? await loadOperatorCa(this.opts.operator)
      : await this.store.loadOrCreate(this.opts.trustDomain());
    this.retiring = this.opts.operator ? [] : this.store.retiring();
    this.dropExpired(false);
    this.store.saveBundle(this.bundlePem());
    this.opts.log(
      this.material.operator
        ? `CA: signing with operator certificate ${summarize(parsePemCerts(this.material.caCertPem)[0]!).subject}`
        : `CA: root ${this.store.certFile} (serial ${summarize(parsePemCerts(this.material.rootPem)[0]!).serial})`,
    );
  }

  stop(): void {
    if (this.removalTimer) clearTimeout(this.removalTimer);
    this.removalTimer = undefined;
  }

  /** Called after the trust bundle changed (rotation, end of an overlap) or the signing root did. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Every root proxies should trust, newest first. */
  bundlePem(): string {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const pem of [this.material.rootPem, ...this.retiring.map((r) => r.certPem)]) {
      const key = pem.trim();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(`${key}\n`);
    }
    return out.join('');
  }

  /** Path of the bundle file kept in STATE/ca (what `weft up` gives sidecars to reach the CA). */
  get bundleFile(): string {
    return this.store.bundleFile;
  }

  /** Authenticates the caller, checks the CSR and signs. */
  async issue(credential: string, csrPem: string, requestedTtlSeconds: number): Promise<IssuedCertificate> {
    let caller: CallerIdentity | null;
    try {
      caller = await this.opts.authenticator.authenticate(credential);
    } catch (e) {
      throw new CaRequestError('internal', `authenticator failed: ${(e as Error).message}`);
    }
    if (!caller) throw new CaRequestError('unauthenticated', 'unknown or missing bearer token');
    const ttlMs = requestedTtlSeconds > 0 ? Math.min(requestedTtlSeconds * 1000, this.maxTtlMs) : this.defaultTtlMs;
    const identity = { trustDomain: this.opts.trustDomain(), ...caller };
    try {
      const cert = await issueSvid(this.material, { csrPem, identity, ttlMs });
      this.issuedCount++;
      this.opts.log(`CA: issued ${cert.spiffeId} serial ${cert.serial} until ${cert.notAfter.toISOString()}`);
      return cert;
    } catch (e) {
      if (e instanceof CsrRejected) {
        this.opts.log(`CA: refused a CSR from ${spiffeUri(identity)}: ${e.message}`);
        throw new CaRequestError(e.code, e.message);
      }
      throw new CaRequestError('internal', (e as Error).message);
    }
  }

  /**
   * Makes a new root; the old one stays in the bundle for `overlapMs`, then leaves. New leaves are
   * signed by the new root at once. Not available with an operator CA (replace its files instead).
   */
  async rotateRoot(overlapMs: number): Promise<CaStatus> {
    if (this.material.operator) {
      throw new CaError('the CA signs with operator-provided certificates: rotate by replacing --ca-cert/--ca-key/--ca-chain and restarting');
    }
    const old = this.material.rootPem;
    this.material = await this.store.replaceRoot(this.opts.trustDomain());
    this.retiring = [...this.retiring.filter((r) => r.certPem.trim() !== old.trim()), { certPem: old, removeAt: new Date(Date.now() + overlapMs) }];
    this.store.saveRetiring(this.retiring);
    this.opts.log(`CA: root rotated; the previous root stays trusted until ${new Date(Date.now() + overlapMs).toISOString()}`);
    this.changed();
    return this.status();
  }

  private changed(): void {
    this.store.saveBundle(this.bundlePem());
    this.scheduleRemoval();
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.opts.log(`CA: change listener failed: ${(e as Error).message}`);
      }
    }
  }

  /** Drops retiring roots whose overlap ended; returns whether any left. */
  private dropExpired(notify: boolean): boolean {
    const now = Date.now();
    const keep = this.retiring.filter((r) => r.removeAt.getTime() > now);
    const dropped = keep.length !== this.retiring.length;
    if (dropped) {
      this.retiring = keep;
      this.store.saveRetiring(keep);
      this.opts.log('CA: overlap ended; previous root removed from the trust bundle');
      if (notify) this.changed();
    }
    if (!notify) this.scheduleRemoval();
    return dropped;
  }

  private scheduleRemoval(): void {
    if (this.removalTimer) clearTimeout(this.removalTimer);
    this.removalTimer = undefined;
    const next = Math.min(...this.retiring.map((r) => r.removeAt.getTime()));
    if (!Number.isFinite(next)) return;
    const delay = Math.max(0, Math.min(next - Date.now(), 2 ** 31 - 1));
    this.removalTimer = setTimeout(() => {
      this.removalTimer = undefined;
      if (!this.dropExpired(true)) this.scheduleRemoval();
    }, delay);
    this.removalTimer.unref();
  }

  status(): CaStatus {
    const retiringBy = new Map(this.retiring.map((r) => [r.certPem.trim(), r.removeAt]));
    const roots = parsePemCerts(this.bundlePem()).map((c) => {
      const removeAt = retiringBy.get(c.toString().trim());
      const s = { ...summarize(c), active: c.toString().trim() === this.material.rootPem.trim() };
      return removeAt ? { ...s, removeAt: removeAt.toISOString() } : s;
    });
    return {
      mode: this.material.operator ? 'operator' : 'generated',
      trustDomain: this.opts.trustDomain(),
      defaultTtlSeconds: Math.round(this.defaultTtlMs / 1000),
      signingCertificate: summarize(parsePemCerts(this.material.caCertPem)[0]!),
      roots,
      issued: this.issuedCount,
    };
  }

  /** A fresh key and serving certificate for the CA's TLS port (key returned to the caller only). */
  async serverIdentity(names: { dns: string[]; ips: string[] }): Promise<{ chainPem: string; keyPem: string; notAfter: Date }> {
    const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await issueServerCert(this.material, keys.publicKey, names, SERVER_CERT_TTL_MS);
    return { chainPem: cert.chainPem.join(''), keyPem: await privateKeyPem(keys.privateKey), notAfter: cert.notAfter };
  }
}
