// A test JWT issuer: key pairs, a JWKS and signed tokens (jose), plus the two classic forgeries
// (alg "none", HS256 "signed" with the RSA public key). Used by unit and integration tests.
import crypto from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface TestKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

export async function testKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const publicPem = crypto.createPublicKey({ key: publicJwk as crypto.JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return { kid, alg, privateKey, publicJwk, publicPem };
}

export function jwksOf(...keys: TestKey[]): string {
  return JSON.stringify({ keys: keys.map((k) => k.publicJwk) });
}

export interface TokenOptions {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** Seconds from now; default +3600. null: no exp. */
  expIn?: number | null;
  /** Seconds from now; default none. */
  nbfIn?: number;
  claims?: JWTPayload;
  /** Header kid; default the key's. null: none. */
  kid?: string | null;
}

export async function signToken(key: TestKey, o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header: { alg: string; kid?: string; typ: string } = { alg: key.alg, typ: 'JWT' };
  const kid = o.kid === undefined ? key.kid : o.kid;
  if (kid !== null) header.kid = kid;
  const payload: JWTPayload = { ...o.claims };
  if (o.iss !== undefined) payload.iss = o.iss;
  if (o.sub !== undefined) payload.sub = o.sub;
  if (o.aud !== undefined) payload.aud = o.aud;
  payload.iat = now;
  if (o.expIn !== null) payload.exp = now + (o.expIn ?? 3600);
  if (o.nbfIn !== undefined) payload.nbf = now + o.nbfIn;
  return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsecured JWT: alg "none", empty signature. */
export function unsignedToken(payload: JWTPayload): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

/** The key-confusion forgery: HS256 with the RSA public key (PEM) as the HMAC secret. */
export function hs256WithPublicKey(key: TestKey, payload: JWTPayload): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64(payload)}`;
  return `${input}.${crypto.createHmac('sha256', key.publicPem).update(input).digest('base64url')}`;
}
