// DestinationRule trafficPolicy.tls (Istio's ClientTLSSettings): DISABLE, SIMPLE, MUTUAL,
// ISTIO_MUTUAL. Certificates are file paths read by the client sidecar; credentialName (a
// Kubernetes secret read by the gateway) is not supported.

import type { ClientTLSSettings } from './types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';

const CLIENT_TLS: FieldSet = {
  supported: ['mode', 'clientCertificate', 'privateKey', 'caCertificates', 'subjectAltNames', 'sni', 'insecureSkipVerify', 'credentialName'],
  notYet: ['caCrl'],
};
const MODES: readonly ClientTLSSettings['mode'][] = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'];

export function readClientTls(f: Field): ClientTLSSettings {
  f.object(CLIENT_TLS);
  const mode = f.get('mode').oneOf(MODES) ?? 'DISABLE';
  const cred = f.get('credentialName');
  if (cred.present) cred.error('credentialName is not supported (it names a Kubernetes secret); give clientCertificate, privateKey and caCertificates as file paths');
  const tls: ClientTLSSettings = compact({
    mode,
    clientCertificate: f.get('clientCertificate').string(),
    privateKey: f.get('privateKey').string(),
    caCertificates: f.get('caCertificates').string(),
    subjectAltNames: f.get('subjectAltNames').ifPresent((l) => l.stringList()),
    sni: f.get('sni').string(),
    insecureSkipVerify: f.get('insecureSkipVerify').bool(),
  });
  if (mode === 'MUTUAL') {
    if (!tls.clientCertificate) f.get('clientCertificate').error('required when mode is MUTUAL');
    if (!tls.privateKey) f.get('privateKey').error('required when mode is MUTUAL');
  }
  if (mode === 'ISTIO_MUTUAL' || mode === 'DISABLE') {
    for (const k of ['clientCertificate', 'privateKey', 'caCertificates', 'subjectAltNames', 'sni'] as const) {
      if (f.get(k).present && mode === 'DISABLE') f.get(k).warn(`ignored when mode is ${mode}`);
    }
  }
  return tls;
}
