// The CA's signing material: a self-signed ECDSA P-256 root generated on first start and kept in
// STATE/ca (key file 0600, so restarts keep it), or an operator's CA cert + key + chain. It also
// holds the roots still trusted after a rotation (until their overlap ends). Only the signing key
// of the active root is ever on disk; no workload key ever reaches the CA.
import fs from 'node:fs';
import path from 'node:path';
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { EC_P256, parsePemCerts, randomSerialHex, splitPemCerts, x509, type CryptoKey, type CryptoKeyPair } from '../../security/x509.js';

/** Operator-provided CA (Istio's "plugged-in certs": ca-cert, ca-key, cert-chain). */
export interface OperatorCaFiles {
  certFile: string;
  keyFile: string;
  /** Certificates above certFile, up to and including the root. Optional when certFile is a root. */
  chainFile?: string;
}

/** A root that left the active slot but stays in the trust bundle until `removeAt`. */
export interface RetiringRoot {
  certPem: string;
  removeAt: Date;
}


export interface SigningMaterial {
  /** The certificate leaves are signed with (a root, or an operator's intermediate). */
  caCert: x509.X509Certificate;
  caCertPem: string;
  signingKey: CryptoKey;
  signingAlgorithm: { name: string; hash?: string; namedCurve?: string };
  /** Intermediates to send after the leaf (empty when the CA cert is the root). */
  intermediatesPem: string[];
  /** The root this material chains to. */
  rootPem: string;
  operator: boolean;
}

const ROOT_VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;

export class CaError extends Error {}

function writeSecret(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  fs.chmodSync(`${file}.tmp`, 0o600);
  fs.renameSync(`${file}.tmp`, file);
}

function writePublic(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text, { mode: 0o644 });
  fs.renameSync(`${file}.tmp`, file);
}

/** Generates a self-signed P-256 root named for the trust domain. */
export async function generateRoot(trustDomain: string, now = new Date()): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: `O=${trustDomain.replace(/[,=+<>#;"\\]/g, '_')}, CN=Weft Root CA ${now.toISOString()}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + ROOT_VALIDITY_MS),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return { certPem: `${cert.toString('pem').trim()}\n`, keyPem: `${keyPem.trim()}\n` };
}

/** Imports a PEM private key (PKCS#8 or SEC1/PKCS#1) as a webcrypto signing key. */
async function importSigningKey(keyPem: string, what: string): Promise<{ key: CryptoKey; alg: SigningMaterial['signingAlgorithm'] }> {
  let keyObject;
  try {
    keyObject = createPrivateKey(keyPem);
  } catch (e) {
    throw new CaError(`${what}: not a PEM private key (${(e as Error).message})`);
  }
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    const namedCurve = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : null;
    if (!namedCurve) throw new CaError(`${what}: EC curve ${curve ?? '?'} is not supported (P-256 or P-384)`);
    const hash = namedCurve === 'P-256' ? 'SHA-256' : 'SHA-384';
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
    return { key, alg: { name: 'ECDSA', namedCurve, hash } };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    return { key, alg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } };
  }
  throw new CaError(`${what}: ${keyObject.asymmetricKeyType ?? 'unknown'} keys are not supported (EC or RSA)`);
}

async function material(certPem: string, keyPem: string, chainPems: string[], operator: boolean, what: string): Promise<SigningMaterial> {
  const certs = splitPemCerts(certPem);
  const first = certs[0];
  if (!first || certs.length !== 1) throw new CaError(`${what}: expected exactly one certificate, found ${certs.length}`);
  const node = new NodeX509(first);
  if (!node.ca) throw new CaError(`${what}: the CA certificate must have basicConstraints CA=true`);
  const keyPub = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  const certPub = node.publicKey.export({ type: 'spki', format: 'der' });
  if (!Buffer.from(keyPub).equals(Buffer.from(certPub))) throw new CaError(`${what}: the private key does not match the CA certificate`);
  const { key, alg } = await importSigningKey(keyPem, what);
  // Walk the chain: each certificate must be issued by the next; the last must be self-signed.
  const chain = [node, ...chainPems.map((p) => new NodeX509(p))];
  for (let i = 0; i + 1 < chain.length; i++) {
    const c = chain[i] as NodeX509;
    const up = chain[i + 1] as NodeX509;
    if (!c.checkIssued(up) || !c.verify(up.publicKey)) throw new CaError(`${what}: chain certificate ${i + 1} did not issue certificate ${i}`);
  }
  const top = chain[chain.length - 1] as NodeX509;
  if (!top.checkIssued(top) || !top.verify(top.publicKey)) {
    throw new CaError(`${what}: the chain does not end in a self-signed root (give --ca-chain up to the root)`);
  }
  const allPems = [first, ...chainPems];
  return {
    caCert: new x509.X509Certificate(first),
    caCertPem: first,
    signingKey: key,
    signingAlgorithm: alg,
    intermediatesPem: allPems.slice(0, -1),
    rootPem: allPems[allPems.length - 1] as string,
    operator,
  };
}

/** Loads an operator's CA; every problem is a CaError naming the file. */
export async function loadOperatorCa(files: OperatorCaFiles): Promise<SigningMaterial> {
  const read = (f: string): string => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch (e) {
      throw new CaError(`cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const chain = files.chainFile ? splitPemCerts(read(files.chainFile)) : [];
  if (files.chainFile && chain.length === 0) throw new CaError(`${files.chainFile}: no certificates`);
  return material(read(files.certFile), read(files.keyFile), chain, true, `${files.certFile}`);
}

/** The generated root and the retiring roots, persisted in STATE/ca. */
export class RootStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'ca');
  }

  get certFile(): string {
    return path.join(this.dir, 'root-cert.pem');
  }

  get keyFile(): string {
    return path.join(this.dir, 'root-key.pem');
  }

  /** Public trust bundle file (every root proxies should trust): what `weft up` hands sidecars. */
  get bundleFile(): string {
    return path.join(this.dir, 'trust-bundle.pem');
  }

  private get retiringFile(): string {
    return path.join(this.dir, 'retiring-roots.json');
  }

  /** Loads the persisted root, or generates and persists one. */
  async loadOrCreate(trustDomain: string): Promise<SigningMaterial> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(this.certFile) || !fs.existsSync(this.keyFile)) {
      const root = await generateRoot(trustDomain);
      writeSecret(this.keyFile, root.keyPem);
      writePublic(this.certFile, root.certPem);
    }
    fs.chmodSync(this.keyFile, 0o600);
    return material(fs.readFileSync(this.certFile, 'utf8'), fs.readFileSync(this.keyFile, 'utf8'), [], false, this.certFile);
  }

  retiring(): RetiringRoot[] {
    try {
      const raw = JSON.parse(fs.readFileSync(this.retiringFile, 'utf8')) as Array<{ certPem: string; removeAt: string }>;
      return raw.map((r) => ({ certPem: r.certPem, removeAt: new Date(r.removeAt) }));
    } catch {
      return [];
    }
  }

  saveRetiring(roots: readonly RetiringRoot[]): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writePublic(this.retiringFile, `${JSON.stringify(roots.map((r) => ({ certPem: r.certPem, removeAt: r.removeAt.toISOString() })), null, 2)}\n`);
  }

  saveBundle(pem: string): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writePublic(this.bundleFile, pem);
  }

  /** Replaces the active root with a new one; the caller keeps the old one as retiring. */
  async replaceRoot(trustDomain: string): Promise<SigningMaterial> {
    const root = await generateRoot(trustDomain);
    writeSecret(this.keyFile, root.keyPem);
    writePublic(this.certFile, root.certPem);
    return material(root.certPem, root.keyPem, [], false, this.certFile);
  }
}

/** Sanity check used by tests and the CLI: the PEM holds only certificates. */
export function bundleRoots(pem: string): NodeX509[] {
  return parsePemCerts(pem);
}
