// The proxy's certificate manager (IdentityProvider): makes a P-256 key in this process, sends a
// CSR with the workload's bootstrap token to the control plane's CA (weft.ca.v1 over TLS), keeps
// the returned X.509-SVID, renews it at half its life (retrying with backoff; the old certificate
// keeps serving until a new one arrives), and follows the trust bundle the control plane sends
// over SDS (ROOTCA). A bundle that gains a root (a rotation) triggers an early renewal, so the
// proxy moves to the new root during the overlap. The private key is never logged or dumped.
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { IdentityProvider, WorkloadCertificate } from './identity.js';
import { makeCaClientConstructor, CA_SERVER_NAME, type CaStub, type CreateCertificateResponse } from '../../xds/ca-service.js';
import { makeKeyAndCsr, privateKeyPem, spkiDer } from '../../security/csr.js';
import { parsePemCerts, serialOf, splitPemCerts, summarize, uriSans, type CertSummary } from '../../security/x509.js';
import { Backoff } from '../xds/backoff.js';
import { renewDelayMs } from './renewal.js';
import { readTokenFile } from './token-file.js';

export interface CertManagerOptions {
  /** The CA's TLS address (the control plane's 15012). */
  caAddress: string;
  /** PEM roots trusted for the CA's serving certificate until SDS delivers the bundle. */
  caRootsPem: string;
  /** File holding this workload's bootstrap token (re-read on every request). */
  tokenFile: string;
  /** Asked-for lifetime in seconds; 0: the CA's default. */
  requestedTtlSeconds?: number;
  log: (msg: string) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Random delay before the early renewal that follows a new root (default up to 1 s). */
  rotationJitterMs?: number;
}

export interface CertManagerStatus {
  spiffeId: string | null;
  serial: string | null;
  notBefore: string | null;
  notAfter: string | null;
  /** When the next renewal is due (ISO), if scheduled. */
  renewAt: string | null;
  renewals: number;
  lastError: string | null;
  chain: CertSummary[];
  trustBundle: CertSummary[];
}

const CA_CALL_TIMEOUT_MS = 15_000;
const CaStubCtor = makeCaClientConstructor();

export class CertificateManager implements IdentityProvider {
  private current: WorkloadCertificate | null = null;
  private bundle: string | null = null;
  private readonly listeners: Array<() => void> = [];
  private stub: CaStub | null = null;
  private stubRoots = '';
  private timer: NodeJS.Timeout | undefined;
  private renewAtMs: number | null = null;
  private inflight = false;
  private again = false;
  private running = false;
  private issuedCount = 0;
  private lastError: string | null = null;
  private readonly backoff: Backoff;

  constructor(private readonly opts: CertManagerOptions) {
    this.backoff = new Backoff({ initialMs: opts.initialBackoffMs ?? 200, maxMs: opts.maxBackoffMs ?? 30_000 });
  }

  certificate(): WorkloadCertificate | null {
    return this.current;
  }

  trustBundle(): string | null {
    return this.bundle;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stub?.close();
    this.stub = null;
  }

  /** SDS delivered a trust bundle (ROOTCA). A root we did not have before means a rotation began. */
  setTrustBundle(pem: string | null): void {
    if (pem === this.bundle) return;
    const before = new Set(splitPemCerts(this.bundle ?? '').map((b) => b.trim()));
    const gained = splitPemCerts(pem ?? '').some((b) => !before.has(b.trim()));
    const hadBundle = this.bundle !== null;
    this.bundle = pem;
    this.notify();
    if (hadBundle && gained && this.current && this.running) {
      const jitter = Math.round(Math.random() * (this.opts.rotationJitterMs ?? 1000));
      this.opts.log(`identity: trust bundle gained a root; renewing in ${jitter} ms`);
      this.schedule(jitter);
    }
  }

  status(): CertManagerStatus {
    const c = this.current;
    return {
      spiffeId: c?.spiffeId ?? null,
      serial: c?.serial ?? null,
      notBefore: c ? c.notBefore.toISOString() : null,
      notAfter: c ? c.notAfter.toISOString() : null,
      renewAt: this.renewAtMs === null ? null : new Date(this.renewAtMs).toISOString(),
      renewals: Math.max(0, this.issuedCount - 1),
      lastError: this.lastError,
      chain: c ? parsePemCerts(c.certChainPem).map(summarize) : [],
      trustBundle: this.bundle ? parsePemCerts(this.bundle).map(summarize) : [],
    };
  }

  private notify(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.opts.log(`identity: change listener failed: ${(e as Error).message}`);
      }
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.renewAtMs = Date.now() + delayMs;
    // setTimeout's limit is ~24.8 days; a longer wait simply re-arms.
    const wait = Math.min(delayMs, 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (wait < delayMs) return this.schedule(delayMs - wait);
      void this.renew();
    }, wait);
  }

  private async renew(): Promise<void> {
    if (!this.running) return;
    if (this.inflight) {
      this.again = true;
      return;
    }
    this.inflight = true;
    this.renewAtMs = null;
    try {
      const cert = await this.requestOnce();
      if (!this.running) return;
      this.current = cert;
      this.issuedCount++;
      this.lastError = null;
      this.backoff.reset();
      this.opts.log(`identity: certificate ${cert.spiffeId} serial ${cert.serial} valid until ${cert.notAfter.toISOString()}`);
      this.schedule(renewDelayMs(cert.notBefore, cert.notAfter, Date.now()));
      this.notify();
    } catch (e) {
      this.lastError = (e as Error).message;
      const delay = this.backoff.next();
      this.opts.log(`identity: certificate request failed (${this.lastError}); retrying in ${delay} ms`);
      this.schedule(delay);
    } finally {
      this.inflight = false;
      if (this.again && this.running) {
        this.again = false;
        this.schedule(0);
      }
    }
  }

  /** A client for the CA that trusts the bootstrap roots plus the current bundle. */
  private caStub(): CaStub {
    const roots = [...new Set([...splitPemCerts(this.opts.caRootsPem), ...splitPemCerts(this.bundle ?? '')])].join('');
    if (this.stub && roots === this.stubRoots) return this.stub;
    this.stub?.close();
    this.stubRoots = roots;
    this.stub = new CaStubCtor(this.opts.caAddress, grpc.credentials.createSsl(Buffer.from(roots)), {
      'grpc.ssl_target_name_override': CA_SERVER_NAME,
      'grpc.default_authority': CA_SERVER_NAME,
    });
    return this.stub;
  }

  private async requestOnce(): Promise<WorkloadCertificate> {
    const token = readTokenFile(this.opts.tokenFile);
    const { csrPem, keys } = await makeKeyAndCsr();
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const stub = this.caStub();
    const res = await new Promise<CreateCertificateResponse>((resolve, reject) => {
      stub.CreateCertificate(
        { csr: csrPem, validity_duration: this.opts.requestedTtlSeconds ?? 0 },
        md,
        { deadline: Date.now() + CA_CALL_TIMEOUT_MS },
        (err, value) => (err || !value ? reject(new Error(err ? `${grpc.status[err.code] ?? err.code}: ${err.details}` : 'empty reply')) : resolve(value)),
      );
    });
    const chain = (res.cert_chain ?? []).flatMap(splitPemCerts);
    const leafPem = chain[0];
    if (!leafPem) throw new Error('the CA returned no certificate');
    const leaf = new X509Certificate(leafPem);
    const ours = await spkiDer(keys.publicKey);
    if (!Buffer.from(leaf.publicKey.export({ type: 'spki', format: 'der' })).equals(ours)) {
      throw new Error('the CA returned a certificate for another key');
    }
    const uris = uriSans(leaf);
    if (uris.length !== 1 || !uris[0]?.startsWith('spiffe://')) throw new Error(`the CA returned a certificate without one SPIFFE URI SAN (${uris.join(', ')})`);
    return {
      certChainPem: chain.join(''),
      keyPem: await privateKeyPem(keys.privateKey),
      spiffeId: uris[0],
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
      serial: serialOf(leaf),
    };
  }
}
