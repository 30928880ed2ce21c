// Workload identity the way `weft up` sets it up: the control plane's CA on its TLS port, one
// bootstrap token per workload, and the proxy flags that make each sidecar fetch its SVID. With
// endpoints labelled security.istio.io/tlsMode=istio, sidecars then talk mTLS (auto mTLS) and
// the metadata exchange between them is trusted.
import path from 'node:path';
import { writeBootstrapTokens, type WorkloadForToken } from '../../src/control/ca/authenticator.js';

export interface MeshIdentity {
  /** Flags for startControlPlane's extraArgs. */
  cpArgs: string[];
  /** Flags for startProxy's extraArgs (the workload must be one of those given). */
  proxyArgs(workload: string, namespace?: string): string[];
}

/** Call before the control plane starts; `cpHost` is its address (the CA listens on :15012). */
export function meshIdentity(stateDir: string, cpHost: string, workloads: readonly WorkloadForToken[]): MeshIdentity {
  const tokens = writeBootstrapTokens(stateDir, workloads);
  const ca = `${cpHost}:15012`;
  const bundle = path.join(stateDir, 'ca', 'trust-bundle.pem');
  return {
    cpArgs: ['--secure-xds-address', ca],
    proxyArgs: (workload, namespace = 'default') => {
      const token = tokens.get(`${namespace}/${workload}`);
      if (!token) throw new Error(`no bootstrap token for ${namespace}/${workload}`);
      return ['--ca-address', ca, '--ca-root-file', bundle, '--token-file', token];
    },
  };
}
