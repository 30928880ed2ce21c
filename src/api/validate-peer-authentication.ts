// PeerAuthentication (security.istio.io/v1, v1beta1): whether a workload's inbound ports accept
// mutual TLS only (STRICT), both (PERMISSIVE) or plaintext only (DISABLE). Precedence and the
// translation into inbound filter chains are in ../control/translate/peer-authentication.ts.

import type { MutualTlsMode, PeerAuthenticationSpec } from './types.js';
import { compact, readLabels, type Field, type FieldSet } from './validate-common.js';

export const ISTIO_SECURITY_GROUP = 'security.istio.io';
export const PEER_AUTHENTICATION_API_VERSIONS: readonly string[] = ['v1', 'v1beta1'].map((v) => `${ISTIO_SECURITY_GROUP}/${v}`);

const SPEC: FieldSet = { supported: ['selector', 'mtls', 'portLevelMtls'] };
const SELECTOR: FieldSet = { supported: ['matchLabels'] };
const MTLS: FieldSet = { supported: ['mode'] };
const MODES: readonly MutualTlsMode[] = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];

function readMtls(f: Field): { mode: MutualTlsMode } {
  f.object(MTLS);
  return { mode: f.get('mode').oneOf(MODES) ?? 'UNSET' };
}

export function validatePeerAuthenticationSpec(f: Field): PeerAuthenticationSpec {
  f.object(SPEC);
  const selector = f.get('selector').ifPresent((s) => {
    s.object(SELECTOR);
    return readLabels(s.get('matchLabels'));
  });
  const portsField = f.get('portLevelMtls');
  const portLevelMtls = portsField.ifPresent((p) =>
    p.map(readMtls, {
      what: 'a map of port number to {mode}',
      keyCheck: (key) => (/^[1-9][0-9]{0,4}$/.test(key) && Number(key) <= 65535 ? undefined : 'expected a port number 1..65535 as the key'),
    }),
  );
  if (portLevelMtls && Object.keys(portLevelMtls).length > 0 && (!selector || Object.keys(selector).length === 0)) {
    portsField.error('portLevelMtls needs a workload selector (Istio ignores port-level settings of namespace- and mesh-wide policies)');
  }
  return compact({
    selector,
    mtls: f.get('mtls').ifPresent(readMtls),
    portLevelMtls,
  });
}
