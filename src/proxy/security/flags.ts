// The proxy's identity flags (parsed in proxy/main.ts). All of --ca-address, --ca-root-file and
// the token file are needed for an identity; none means the proxy runs without one.
import fs from 'node:fs';
import type { CertManagerOptions } from './cert-manager.js';

export const IDENTITY_FLAGS = {
  /** The control plane's TLS port with the certificate service (15012). */
  'ca-address': { type: 'string' },
  /** PEM roots to trust the CA's serving certificate with (STATE/ca/trust-bundle.pem locally). */
  'ca-root-file': { type: 'string' },
  /** The workload's bootstrap token file; env WEFT_TOKEN_FILE is the fallback. */
  'token-file': { type: 'string' },
  /** Asked-for certificate lifetime in seconds (default: the CA's). */
  'cert-ttl': { type: 'string' },
} as const;

export function identityOptions(
  v: Partial<Record<keyof typeof IDENTITY_FLAGS, string | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): { identity?: Omit<CertManagerOptions, 'log'> } {
  const tokenFile = v['token-file'] ?? env['WEFT_TOKEN_FILE'];
  const caAddress = v['ca-address'];
  const rootFile = v['ca-root-file'];
  if (tokenFile === undefined && caAddress === undefined && rootFile === undefined) return {};
  if (!tokenFile || !caAddress || !rootFile) {
    throw new Error('identity needs --ca-address, --ca-root-file and --token-file (or WEFT_TOKEN_FILE) together');
  }
  let caRootsPem: string;
  try {
    caRootsPem = fs.readFileSync(rootFile, 'utf8');
  } catch (e) {
    throw new Error(`--ca-root-file: cannot read ${rootFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const ttl = v['cert-ttl'] === undefined ? 0 : Number(v['cert-ttl']);
  if (!Number.isFinite(ttl) || ttl < 0) throw new Error(`--cert-ttl: expected seconds, got "${v['cert-ttl']}"`);
  return { identity: { caAddress, caRootsPem, tokenFile, requestedTtlSeconds: Math.round(ttl) } };
}
