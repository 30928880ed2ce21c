// Who is asking for a certificate. An Authenticator turns the caller's credential (the bearer token
// of the CreateCertificate call) into the one identity the CA may sign for it. Local mode uses
// bootstrap tokens written by `weft up`; on Kubernetes a TokenReview-based authenticator would
// implement the same interface (see docs/security.md).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface CallerIdentity {
  namespace: string;
  serviceAccount: string;
}

export interface Authenticator {
  /** The caller's identity, or null when the credential is unknown. Never logs the credential. */
  authenticate(credential: string): Promise<CallerIdentity | null>;
}

/** One line of the bootstrap token file: only a hash of the token is stored on the CA side. */
export interface BootstrapTokenEntry {
  sha256: string;
  namespace: string;
  serviceAccount: string;
  /** For the operator: which workload the token was made for. */
  workload: string;
}

export function bootstrapDir(stateDir: string): string {
  return path.join(stateDir, 'identity');
}

export function bootstrapTokensFile(stateDir: string): string {
  return path.join(bootstrapDir(stateDir), 'tokens.json');
}

export function tokenFileFor(stateDir: string, namespace: string, workload: string): string {
  return path.join(bootstrapDir(stateDir), `${namespace}.${workload}.token`);
}

const sha256 = (s: string): string => crypto.createHash('sha256').update(s, 'utf8').digest('hex');

export interface WorkloadForToken {
  namespace: string;
  workload: string;
  serviceAccount: string;
}

/**
 * Makes one random token per workload: writes each token to its own 0600 file (handed to the
 * sidecar by path) and the hashes to tokens.json (0600), read by the control plane. Returns the
 * token file per "namespace/workload".
 */
export function writeBootstrapTokens(stateDir: string, workloads: readonly WorkloadForToken[]): Map<string, string> {
  const dir = bootstrapDir(stateDir);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const entries: BootstrapTokenEntry[] = [];
  const files = new Map<string, string>();
  for (const w of workloads) {
    const key = `${w.namespace}/${w.workload}`;
    if (files.has(key)) continue;
    const token = crypto.randomBytes(32).toString('base64url');
    const file = tokenFileFor(stateDir, w.namespace, w.workload);
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
    files.set(key, file);
    entries.push({ sha256: sha256(token), namespace: w.namespace, serviceAccount: w.serviceAccount, workload: w.workload });
  }
  fs.writeFileSync(bootstrapTokensFile(stateDir), `${JSON.stringify({ tokens: entries }, null, 2)}\n`, { mode: 0o600 });
  return files;
}

/** Local mode: tokens.json maps token hashes to identities; re-read when the file changes. */
export class BootstrapTokenAuthenticator implements Authenticator {
  private cache: { mtimeMs: number; size: number; entries: BootstrapTokenEntry[] } | null = null;

  constructor(private readonly file: string) {}

  private entries(): BootstrapTokenEntry[] {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch {
      return [];
    }
    if (this.cache && this.cache.mtimeMs === st.mtimeMs && this.cache.size === st.size) return this.cache.entries;
    let entries: BootstrapTokenEntry[] = [];
    try {
      const raw = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { tokens?: unknown };
      if (Array.isArray(raw.tokens)) {
        entries = raw.tokens.filter(
          (t): t is BootstrapTokenEntry =>
            typeof t === 'object' && t !== null && typeof (t as BootstrapTokenEntry).sha256 === 'string' &&
            typeof (t as BootstrapTokenEntry).namespace === 'string' && typeof (t as BootstrapTokenEntry).serviceAccount === 'string',
        );
      }
    } catch {
      entries = [];
    }
    this.cache = { mtimeMs: st.mtimeMs, size: st.size, entries };
    return entries;
  }

  authenticate(credential: string): Promise<CallerIdentity | null> {
    if (credential === '') return Promise.resolve(null);
    const digest = Buffer.from(sha256(credential), 'hex');
    let found: CallerIdentity | null = null;
    for (const e of this.entries()) {
      const other = Buffer.from(e.sha256, 'hex');
      // Constant time per comparison; every entry is compared.
      if (other.length === digest.length && crypto.timingSafeEqual(other, digest)) {
        found = { namespace: e.namespace, serviceAccount: e.serviceAccount };
      }
    }
    return Promise.resolve(found);
  }
}
