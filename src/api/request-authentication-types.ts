// RequestAuthentication (security.istio.io/v1, v1beta1): validated shapes, Istio field names.

export const ISTIO_SECURITY_GROUP = 'security.istio.io';

export interface JwtHeader {
  /** As written (HTTP header names are case-insensitive; the proxy lower-cases). */
  name: string;
  /** e.g. "Bearer "; the token is the value after it. */
  prefix?: string;
}

export interface ClaimToHeader {
  header: string;
  /** Top-level claim name; nested claims with "." ("a.b"). */
  claim: string;
}

export interface JWTRule {
  issuer: string;
  audiences: string[];
  jwksUri?: string;
  /** Inline JWKS (JSON text); wins over jwksUri, as in Istio. */
  jwks?: string;
  fromHeaders: JwtHeader[];
  fromParams: string[];
  fromCookies: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken: boolean;
  outputClaimToHeaders: ClaimToHeader[];
  /** jwksUri fetch timeout (ms); Istio's default is 5 s. */
  timeoutMs?: number;
}

export interface RequestAuthenticationSpec {
  /** matchLabels; absent: every workload in the namespace (or the mesh, in the root namespace). */
  selector?: Record<string, string>;
  jwtRules: JWTRule[];
}

/** VirtualService header match on a validated JWT claim (Istio): "@request.auth.claims.<name>". */
export const CLAIM_HEADER_PREFIX = '@request.auth.claims.';

/** Claim path of a claim header ("a.b" → ["a", "b"]), or undefined for an ordinary header. */
export function claimPathOf(headerName: string): string[] | undefined {
  if (!headerName.startsWith(CLAIM_HEADER_PREFIX)) return undefined;
  const parts = headerName.slice(CLAIM_HEADER_PREFIX.length).split('.');
  return parts.every((p) => p.length > 0) ? parts : undefined;
}
