// How the Proxy wires its CertificateManager: SDS trust bundle in, readiness, admin /certs, and
// the ROOTCA subscription. Kept here so proxy.ts only calls hooks.
import type { XdsType } from '../../xds/protos.js';
import type { SecretConfig } from '../config/decode-secret.js';
import type { CertificateManager, CertManagerStatus } from './cert-manager.js';

/** The SDS resource carrying the mesh trust bundle (as Istio names it). */
export const ROOTCA = 'ROOTCA';

export interface IdentityHooks {
  sink: { setSecrets?: (s: ReadonlyMap<string, SecretConfig>) => void };
  /** Why the proxy is not ready yet, or '' */
  notReady(): string;
  certs(): { identity: CertManagerStatus | null };
  start(subscribe: (type: XdsType, names: string[]) => void): void;
}

const NONE: IdentityHooks = {
  sink: {},
  notReady: () => '',
  certs: () => ({ identity: null }),
  start: () => undefined,
};

export function identityHooks(cm: CertificateManager | null): IdentityHooks {
  if (!cm) return NONE;
  return {
    sink: {
      setSecrets: (s) => cm.setTrustBundle(s.get(ROOTCA)?.trustedCaPem ?? null),
    },
    notReady: () => {
      if (!cm.certificate()) return 'waiting for the workload certificate';
      if (!cm.trustBundle()) return 'waiting for the trust bundle (SDS ROOTCA)';
      return '';
    },
    certs: () => ({ identity: cm.status() }),
    start: (subscribe) => {
      subscribe('secret', [ROOTCA]);
      cm.start();
    },
  };
}
