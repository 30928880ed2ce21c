// IdentityProvider from files, like Istio's file-mounted certificates: a directory holding
// cert-chain.pem (leaf first), key.pem (PKCS#8) and root-cert.pem (the trust bundle). The files
// are re-read when the directory changes (written by an operator or another agent); a partial or
// broken set keeps the last good one. Given to the proxy by `--cert-dir DIR`.
import fs from 'node:fs';
import path from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { IdentityProvider, WorkloadCertificate } from './identity.js';

export const CERT_CHAIN_FILE = 'cert-chain.pem';
export const KEY_FILE = 'key.pem';
export const ROOT_CERT_FILE = 'root-cert.pem';

export class FileIdentityProvider implements IdentityProvider {
  private cert: WorkloadCertificate | null = null;
  private bundle: string | null = null;
  private readonly listeners: (() => void)[] = [];
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private lastSeen = '';

  constructor(
    readonly dir: string,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.load();
    try {
      this.watcher = fs.watch(dir, () => this.schedule());
      this.watcher.on('error', () => {});
    } catch {
      // no watch support: the poll below still notices changes
    }
    // fs.watch misses renames on some file systems; a slow poll of the mtimes backs it up.
    this.poll = setInterval(() => {
      if (this.stamp() !== this.lastSeen) this.schedule();
    }, 1000);
    this.poll.unref();
  }

  certificate(): WorkloadCertificate | null {
    return this.cert;
  }

  trustBundle(): string | null {
    return this.bundle;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
  }

  private stamp(): string {
    return [CERT_CHAIN_FILE, KEY_FILE, ROOT_CERT_FILE]
      .map((f) => {
        try {
          const s = fs.statSync(path.join(this.dir, f));
          return `${s.mtimeMs}:${s.size}`;
        } catch {
          return '-';
        }
      })
      .join('|');
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.load()) for (const l of this.listeners) l();
    }, 50);
    this.timer.unref();
  }

  /** Reads the three files; true when what we serve changed. */
  private load(): boolean {
    this.lastSeen = this.stamp();
    let chain: string;
    let key: string;
    let roots: string;
    try {
      chain = fs.readFileSync(path.join(this.dir, CERT_CHAIN_FILE), 'utf8');
      key = fs.readFileSync(path.join(this.dir, KEY_FILE), 'utf8');
      roots = fs.readFileSync(path.join(this.dir, ROOT_CERT_FILE), 'utf8');
    } catch (err) {
      this.log(`certificates in ${this.dir}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    if (this.cert && chain === this.cert.certChainPem && key === this.cert.keyPem && roots === this.bundle) return false;
    try {
      const leaf = new X509Certificate(chain);
      const pk = createPrivateKey(key);
      if (!leaf.checkPrivateKey(pk)) throw new Error(`${KEY_FILE} does not belong to the leaf in ${CERT_CHAIN_FILE}`);
      new X509Certificate(roots);
      const uri = /URI:(spiffe:\/\/[^,\s]+)/.exec(leaf.subjectAltName ?? '');
      this.cert = {
        certChainPem: chain,
        keyPem: key,
        spiffeId: uri?.[1] ?? '',
        notBefore: new Date(leaf.validFrom),
        notAfter: new Date(leaf.validTo),
        serial: leaf.serialNumber.toLowerCase(),
      };
      this.bundle = roots;
      this.log(`loaded certificate ${this.cert.spiffeId} serial ${this.cert.serial} from ${this.dir}`);
      return true;
    } catch (err) {
      this.log(`certificates in ${this.dir} rejected, keeping the last good ones: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  }
}
