// A fresh P-256 key pair and a PKCS#10 CSR for it, made in the requesting process (the key never
// leaves it). Used by the proxy's certificate manager and by tests.
import { webcrypto } from 'node:crypto';
import { EC_P256, x509, type CryptoKey, type CryptoKeyPair } from './x509.js';

export interface KeyAndCsr {
  csrPem: string;
  keys: CryptoKeyPair;
}

/** With `sanUri`, the CSR asks for that URI SAN; without, the CA fills in the caller's identity. */
export async function makeKeyAndCsr(sanUri?: string): Promise<KeyAndCsr> {
  const keys = (await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: EC_P256,
    extensions: sanUri ? [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: sanUri }])] : [],
  });
  return { csrPem: csr.toString('pem'), keys };
}

/** PKCS#8 PEM of a private key (kept in memory by the caller; never logged). */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY').trim()}\n`;
}

/** DER SubjectPublicKeyInfo of a public key, to match a returned certificate against our key. */
export async function spkiDer(key: CryptoKey): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.exportKey('spki', key));
}
