// Test certificates made with @peculiar/x509 (ECDSA P-256): a test CA, X.509-SVIDs for
// workloads, and the bad certificates a mesh must refuse (expired, not yet valid, wrong CA, two
// URI SANs, CA=true leaf, NUL byte in the URI, wrong trust domain, SPIFFE ID as a DNS SAN).
// writeIdentityDir lays them out as the proxy's --cert-dir expects (file-identity.ts).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import fs from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
let serial = 1;

export interface TestCa {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

export interface TestLeaf {
  certPem: string;
  keyPem: string;
}

function nextSerial(): string {
  return (serial++).toString(16).padStart(8, '0');
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function makeCa(name: string): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name},O=weft-test`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

export interface LeafOptions {
  /** URI SANs (SPIFFE IDs); several make a bad SVID. */
  uris?: string[];
  /** DNS SANs. */
  dns?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints CA=true on a leaf (must be refused). */
  isCa?: boolean;
}

export async function issueLeaf(ca: TestCa, opts: LeafOptions): Promise<TestLeaf> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [
    ...(opts.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(opts.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: 'O=weft-test',
    issuer: ca.cert.subject,
    notBefore: opts.notBefore ?? new Date(Date.now() - 3600_000),
    notAfter: opts.notAfter ?? new Date(Date.now() + DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(opts.isCa ?? false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | (opts.isCa ? x509.KeyUsageFlags.keyCertSign : 0), true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, true)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

export function spiffeId(sa: string, ns = 'default', trustDomain = 'cluster.local'): string {
  return `spiffe://${trustDomain}/ns/${ns}/sa/${sa}`;
}

export async function workloadSvid(ca: TestCa, sa: string, ns = 'default'): Promise<TestLeaf> {
  return issueLeaf(ca, { uris: [spiffeId(sa, ns)] });
}

/** The bad client/server certificates of the issue's list, each with the CA that signs it. */
export async function badCertificates(ca: TestCa, sa: string): Promise<{ name: string; leaf: TestLeaf }[]> {
  const id = spiffeId(sa);
  const other = await makeCa('other-ca');
  const now = Date.now();
  return [
    { name: 'expired', leaf: await issueLeaf(ca, { uris: [id], notBefore: new Date(now - 3 * DAY), notAfter: new Date(now - DAY) }) },
    { name: 'not yet valid', leaf: await issueLeaf(ca, { uris: [id], notBefore: new Date(now + DAY), notAfter: new Date(now + 2 * DAY) }) },
    { name: 'wrong CA', leaf: await issueLeaf(other, { uris: [id] }) },
    { name: 'two URI SANs', leaf: await issueLeaf(ca, { uris: [id, spiffeId('other')] }) },
    { name: 'CA=true leaf', leaf: await issueLeaf(ca, { uris: [id], isCa: true }) },
    { name: 'URI SAN with a NUL byte', leaf: await issueLeaf(ca, { uris: [`${id}\u0000.evil`] }) },
    { name: 'wrong trust domain', leaf: await issueLeaf(ca, { uris: [spiffeId(sa, 'default', 'evil.example')] }) },
    { name: 'SPIFFE ID as a DNS SAN', leaf: await issueLeaf(ca, { dns: [id] }) },
  ];
}

/** cert-chain.pem, key.pem, root-cert.pem (written via rename, so a watcher never sees half a file). */
export function writeIdentityDir(dir: string, leaf: TestLeaf, rootsPem: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const put = (name: string, text: string): void => {
    const tmp = path.join(dir, `.${name}.tmp`);
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, path.join(dir, name));
  };
  put('root-cert.pem', rootsPem);
  put('key.pem', leaf.keyPem);
  put('cert-chain.pem', leaf.certPem);
}
