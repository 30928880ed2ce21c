// RequestAuthentication → envoy.filters.http.jwt_authn on the HTTP connection managers of the
// workloads (and gateways) it selects. Pure: fetched JWKS come from snapshot.jwks (control/jwks/).
import type { JWTRule, RequestAuthentication } from '../../api/types.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ProxyModel } from '../model/proxy.js';
import { labelsMatch } from '../model/services.js';
import type { Json } from './clusters.js';

export const JWT_AUTHN_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_AUTHN_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';

/**
 * What Istio inlines when a jwksUri could not be fetched (or not yet): an RSA public key whose
 * private half was thrown away, so no token verifies and requests with a token get 401.
 */
export const UNREACHABLE_JWKS = JSON.stringify({
  keys: [
    {
      kty: 'RSA',
      kid: 'weft-jwks-unavailable',
      e: 'AQAB',
      n:
        'uG4r8X_OnVCVIQI5gwDbRk4AHfE5iFqDFSYWsRz6ZP5Wnlaej05Jt3JwzyKSfzUe84tqDkoJ05regEU9xje_XJdiAe9AIgm7eOJKHxu-uGkm_ipBUD4xB9m199vDOPd2NYaH_toZZFLh-VyMSi-8evB2JdRXGBakg7fQ5nCTFresLbBmLNuMAE8e-EExnQXaeIurf-DbyNfRYttAfRnQgiE5LLGpCMvWod3oFCasg1bImz0eoVr8_abfbJqAsccPYLV95YQpr2cM8ECJvZeCP1yci7-eDCVf2vh-keQRPl8AdlXfz-PLbQfZ0xI_r-xYEzLA6Woz0jC9760uLq4w0Q',
    },
  ],
});

/**
 * The RequestAuthentications that apply to a workload, as Istio picks them: every policy of the
 * mesh (root namespace, no selector), of its namespace (no selector) and whose selector matches
 * its labels. All apply together (their rules are merged), unlike PeerAuthentication.
 */
export function requestAuthenticationsFor(snapshot: Snapshot, namespace: string, labels: Readonly<Record<string, string>>): RequestAuthentication[] {
  const root = snapshot.mesh.rootNamespace;
  return snapshot.requestAuthentications.filter((ra) => {
    const ns = ra.metadata.namespace;
    if (ns !== namespace && ns !== root) return false;
    const sel = ra.spec.selector;
    if (!sel || Object.keys(sel).length === 0) return true;
    // A selector in the root namespace selects only workloads of the root namespace.
    return ns === namespace && labelsMatch(sel, labels);
  });
}

/** The rules of every applicable policy, first issuer wins (Envoy keys providers by issuer). */
export function jwtRulesFor(snapshot: Snapshot, proxy: ProxyModel): JWTRule[] {
  const seen = new Set<string>();
  const out: JWTRule[] = [];
  for (const ra of requestAuthenticationsFor(snapshot, proxy.metadata.NAMESPACE, proxy.metadata.LABELS)) {
    for (const rule of ra.spec.jwtRules) {
      if (seen.has(rule.issuer)) continue;
      seen.add(rule.issuer);
      out.push(rule);
    }
  }
  return out;
}

function provider(rule: JWTRule, snapshot: Snapshot): Json {
  const jwks = rule.jwks ?? (rule.jwksUri !== undefined ? snapshot.jwks.get(rule.jwksUri) : undefined) ?? UNREACHABLE_JWKS;
  const p: Json = { issuer: rule.issuer };
  if (rule.audiences.length > 0) p.audiences = rule.audiences;
  p.local_jwks = { inline_string: jwks };
  if (rule.forwardOriginalToken) p.forward = true;
  if (rule.fromHeaders.length > 0) p.from_headers = rule.fromHeaders.map((h) => (h.prefix !== undefined ? { name: h.name, value_prefix: h.prefix } : { name: h.name }));
  if (rule.fromParams.length > 0) p.from_params = rule.fromParams;
  if (rule.fromCookies.length > 0) p.from_cookies = rule.fromCookies;
  if (rule.outputPayloadToHeader !== undefined) p.forward_payload_header = rule.outputPayloadToHeader;
  if (rule.outputClaimToHeaders.length > 0) p.claim_to_headers = rule.outputClaimToHeaders.map((c) => ({ header_name: c.header, claim_name: c.claim }));
  p.payload_in_metadata = rule.issuer;
  return p;
}

/**
 * The jwt_authn filter for this proxy, or undefined when no RequestAuthentication selects it.
 * Istio's requirement: any provider's valid token, or no token at all (allow_missing); a token
 * that is present but invalid is rejected. Whether a token is required is AuthorizationPolicy's.
 */
export function jwtAuthnFilter(snapshot: Snapshot, proxy: ProxyModel): Json | undefined {
  const rules = jwtRulesFor(snapshot, proxy);
  if (rules.length === 0) return undefined;
  const providers: Json = {};
  const requirements: Json[] = [];
  rules.forEach((rule, i) => {
    providers[`origins-${i}`] = provider(rule, snapshot);
    requirements.push({ provider_name: `origins-${i}` });
  });
  requirements.push({ allow_missing: {} });
  return {
    name: JWT_AUTHN_FILTER,
    typed_config: {
      '@type': JWT_AUTHN_TYPE_URL,
      providers,
      rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements } } }],
      bypass_cors_preflight: true,
    },
  };
}
