// @peculiar/x509 set up for Node (webcrypto provider, reflect-metadata first) plus the few PEM and
// SPIFFE helpers both the CA (control plane) and the certificate manager (proxy) use. All crypto is
// node:crypto / webcrypto through the library; nothing here implements an algorithm.
import 'reflect-metadata';
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export { x509 };

/** ECDSA P-256 with SHA-256: the key and signature algorithm for roots, leaves and CSRs. */
export const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every CERTIFICATE block of a PEM text, normalised ("-----BEGIN...END-----\n" each). */
export function splitPemCerts(pem: string): string[] {
  return (pem.match(PEM_CERT) ?? []).map((b) => `${b.trim()}\n`);
}

/** Parses every certificate of a PEM text with node:crypto; throws on a bad block. */
export function parsePemCerts(pem: string): NodeX509[] {
  return splitPemCerts(pem).map((b) => new NodeX509(b));
}

/** The URI SANs of a certificate (node:crypto's text form, split on ", "). */
export function uriSans(cert: NodeX509): string[] {
  const alt = cert.subjectAltName;
  if (!alt) return [];
  return alt
    .split(/,\s*/)
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
}

/** Hex serial as node:crypto prints it (upper case, no separators). */
export function serialOf(cert: NodeX509): string {
  return cert.serialNumber.toUpperCase();
}

/** A random positive serial: 16 bytes, top bit cleared (RFC 5280 allows up to 20 octets). */
export function randomSerialHex(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] ?? 0) & 0x7f;
  if (b[0] === 0) b[0] = 1;
  return Buffer.from(b).toString('hex');
}

export interface SpiffeId {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

/** "spiffe://<td>/ns/<ns>/sa/<sa>": Istio's identity form. */
export function spiffeUri(id: SpiffeId): string {
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Parses Istio's SPIFFE form; null for anything else. */
export function parseSpiffeUri(uri: string): SpiffeId | null {
  const m = /^spiffe:\/\/([a-z0-9._-]+)\/ns\/([^/\0]+)\/sa\/([^/\0]+)$/.exec(uri);
  if (!m) return null;
  return { trustDomain: m[1] as string, namespace: m[2] as string, serviceAccount: m[3] as string };
}

/** Text summary of one certificate for admin output and the CLI (never the key). */
export interface CertSummary {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  uriSans: string[];
  isCA: boolean;
  fingerprintSha256: string;
}

export function summarize(cert: NodeX509): CertSummary {
  return {
    subject: (cert.subject ?? '').replace(/\n/g, ', '),
    issuer: (cert.issuer ?? '').replace(/\n/g, ', '),
    serial: serialOf(cert),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    uriSans: uriSans(cert),
    isCA: cert.ca,
    fingerprintSha256: cert.fingerprint256,
  };
}
