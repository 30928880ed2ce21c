// SDS Secret → runtime trust bundle. The proxy accepts only what the control plane sends for the
// mesh trust bundle: a validation_context with trusted_ca inline (bytes or string) of PEM roots.
// Anything else (tls_certificate, session keys, file paths, ...) is NACKed with its field path:
// workload keys are made in the proxy and never travel over xDS.
import { X509Certificate } from 'node:crypto';
import { ConfigRejection, obj, only, str, type J } from './check.js';
import { splitPemCerts } from '../../security/x509.js';

export interface SecretConfig {
  name: string;
  /** PEM roots, one CERTIFICATE block each, in the order sent. */
  trustedCaPem: string;
}

export function decodeSecret(r: J): SecretConfig {
  const name = str(r.name, 'secret.name');
  const path = `secret ${name}`;
  only(r, path, ['name', 'validation_context']);
  if (r.validation_context === undefined) throw new ConfigRejection(`${path}.validation_context`, 'required (only trust bundles are accepted over SDS)');
  const vc = obj(r.validation_context, `${path}.validation_context`);
  only(vc, `${path}.validation_context`, ['trusted_ca']);
  const ca = obj(vc.trusted_ca, `${path}.validation_context.trusted_ca`);
  const caPath = `${path}.validation_context.trusted_ca`;
  only(ca, caPath, ['inline_bytes', 'inline_string']);
  let text: string;
  if (ca.inline_bytes !== undefined) text = bytesText(ca.inline_bytes, `${caPath}.inline_bytes`);
  else if (ca.inline_string !== undefined) text = str(ca.inline_string, `${caPath}.inline_string`);
  else throw new ConfigRejection(caPath, 'expected inline_bytes or inline_string');
  const blocks = splitPemCerts(text);
  if (blocks.length === 0) throw new ConfigRejection(caPath, 'no PEM certificates');
  for (const [i, b] of blocks.entries()) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(b);
    } catch (e) {
      throw new ConfigRejection(`${caPath}[${i}]`, `not a certificate: ${(e as Error).message}`);
    }
    if (!cert.ca) throw new ConfigRejection(`${caPath}[${i}]`, 'not a CA certificate (basicConstraints CA=false)');
  }
  return { name, trustedCaPem: blocks.join('') };
}

/** bytes fields arrive as Buffers from the wire and as base64 strings in Envoy's JSON form. */
function bytesText(v: unknown, path: string): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return Buffer.from(str(v, path), 'base64').toString('utf8');
}
