// Runtime config of envoy.filters.http.jwt_authn, built once per listener update by ./decode.ts.
import type { JWTVerifyGetKey } from 'jose';

/** Where a provider looks for its token. */
export interface TokenLocations {
  /** Lower-cased header names with their value prefix ("" for the whole value). */
  headers: { name: string; prefix: string }[];
  params: string[];
  cookies: string[];
}

export interface JwtProvider {
  /** The providers map key ("origins-0"). */
  name: string;
  issuer: string;
  /** Empty: any audience. */
  audiences: string[];
  /** jose key lookup over the inline JWKS (public keys only). */
  keys: JWTVerifyGetKey;
  /** JWS algorithms the JWKS has keys for (RS*, PS*, ES*, EdDSA); a token's alg must be one. */
  algorithms: ReadonlySet<string>;
  locations: TokenLocations;
  /** false: the token is removed from the request before it goes upstream (headers only, as Envoy). */
  forward: boolean;
  /** forward_payload_header: the payload (base64url JSON) is sent upstream in this header. */
  forwardPayloadHeader: string | undefined;
  claimToHeaders: { header: string; claim: string }[];
  clockSkewSec: number;
}

/** requires_any over providers, optionally with allow_missing / allow_missing_or_failed. */
export interface JwtRequirement {
  providers: string[];
  /** A request without any token passes (Istio's default): authorization decides. */
  allowMissing: boolean;
  /** A request whose token is missing or invalid passes (without a RequestAuth). */
  allowMissingOrFailed: boolean;
}

export interface JwtAuthnConfig {
  providers: JwtProvider[];
  requirement: JwtRequirement;
  /** CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) skip the filter. */
  bypassCorsPreflight: boolean;
}
