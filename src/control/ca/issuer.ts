// Signs X.509-SVIDs from CSRs. The identity comes from the authenticated caller, never from the CSR:
// a CSR may name no SAN (the CA fills in the caller's SPIFFE ID) or exactly the caller's SPIFFE ID;
// anything else is refused. The CSR's own signature proves the requester holds the key.
import { randomSerialHex, spiffeUri, x509, type SpiffeId, type CryptoKey } from '../../security/x509.js';
import type { SigningMaterial } from './roots.js';

export const DEFAULT_CERT_TTL_MS = 24 * 3600 * 1000;
/** notBefore is set this far in the past (at most), for clocks slightly behind ours. */
export const MAX_BACKDATE_MS = 60_000;

/** Why a CSR was refused; `code` picks the gRPC status. */
export class CsrRejected extends Error {
  constructor(
    readonly code: 'invalid' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

export interface IssueRequest {
  csrPem: string;
  identity: SpiffeId;
  ttlMs: number;
  now?: Date;
}

export interface IssuedCertificate {
  /** Leaf first, then the CA's intermediates (roots travel separately, over SDS). */
  chainPem: string[];
  spiffeId: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

const SAN_OID = '2.5.29.17';

function parseCsr(pem: string): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(pem);
  } catch (e) {
    throw new CsrRejected('invalid', `the CSR is not a PEM PKCS#10 request (${(e as Error).message})`);
  }
}

/** Only EC P-256/P-384 and RSA ≥ 2048 public keys are signed. */
async function checkKey(csr: x509.Pkcs10CertificateRequest): Promise<void> {
  const alg = csr.publicKey.algorithm as { name?: string; namedCurve?: string; modulusLength?: number };
  if (alg.name === 'ECDSA' || alg.name === 'ECDH') {
    if (alg.namedCurve !== 'P-256' && alg.namedCurve !== 'P-384') {
      throw new CsrRejected('invalid', `EC curve ${alg.namedCurve ?? '?'} is not accepted (P-256 or P-384)`);
    }
    return;
  }
  if (alg.name === 'RSASSA-PKCS1-v1_5' || alg.name === 'RSA-PSS') {
    if ((alg.modulusLength ?? 0) < 2048) throw new CsrRejected('invalid', 'RSA keys must be at least 2048 bits');
    return;
  }
  throw new CsrRejected('invalid', `key algorithm ${alg.name ?? '?'} is not accepted`);
}

/** Checks the CSR and signs a leaf for `identity`. */
export async function issueSvid(ca: SigningMaterial, req: IssueRequest): Promise<IssuedCertificate> {
  const csr = parseCsr(req.csrPem);
  let signatureOk: boolean;
  try {
    signatureOk = await csr.verify();
  } catch {
    signatureOk = false;
  }
  if (!signatureOk) throw new CsrRejected('invalid', 'the CSR signature does not verify');
  await checkKey(csr);
  const want = spiffeUri(req.identity);
  const sanExt = csr.getExtension(SAN_OID);
  if (sanExt) {
    const san = new x509.SubjectAlternativeNameExtension(sanExt.rawData);
    const names = san.names.items;
    const uris = names.filter((n) => n.type === 'url').map((n) => n.value);
    if (names.length !== 1 || uris.length !== 1 || uris[0] !== want) {
      const asked = names.map((n) => `${n.type}:${n.value}`).join(', ');
      throw new CsrRejected('forbidden', `the CSR asks for [${asked}] but the caller may only have ${want}`);
    }
  }
  const now = req.now ?? new Date();
  const ttl = Math.max(1000, req.ttlMs);
  const backdate = Math.min(MAX_BACKDATE_MS, Math.floor(ttl / 10));
  // X.509 times have one-second resolution: round so the half-life math matches what is encoded.
  const notBefore = new Date(Math.floor((now.getTime() - backdate) / 1000) * 1000);
  let notAfter = new Date(Math.floor((now.getTime() + ttl) / 1000) * 1000);
  const caNotAfter = ca.caCert.notAfter;
  if (notAfter > caNotAfter) notAfter = caNotAfter; // a leaf never outlives its issuer
  const serial = randomSerialHex();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: '',
    issuer: ca.caCert.subject,
    notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // As Istio: digitalSignature + keyEncipherment (the SVID spec allows keyEncipherment).
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      // Critical because the subject is empty (RFC 5280 4.2.1.6).
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: want }], true),
      await x509.AuthorityKeyIdentifierExtension.create(ca.caCert, false),
    ],
  });
  return {
    chainPem: [`${leaf.toString('pem').trim()}\n`, ...ca.intermediatesPem],
    spiffeId: want,
    serial: serial.toUpperCase(),
    notBefore,
    notAfter,
  };
}

/** The CA's own serving certificate for its TLS port (DNS name + IP SANs, serverAuth). */
export async function issueServerCert(
  ca: SigningMaterial,
  publicKey: CryptoKey,
  names: { dns: string[]; ips: string[] },
  ttlMs: number,
  now = new Date(),
): Promise<{ chainPem: string[]; notAfter: Date }> {
  const notBefore = new Date(now.getTime() - MAX_BACKDATE_MS);
  let notAfter = new Date(now.getTime() + ttlMs);
  if (notAfter > ca.caCert.notAfter) notAfter = ca.caCert.notAfter;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: 'O=Weft, CN=weft-control-plane',
    issuer: ca.caCert.subject,
    notBefore,
    notAfter,
    publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.caCert, false),
    ],
  });
  return { chainPem: [`${cert.toString('pem').trim()}\n`, ...ca.intermediatesPem], notAfter };
}
