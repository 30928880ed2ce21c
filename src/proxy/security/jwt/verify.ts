// Verifies one JWT against the providers configured for the place it was found, with Envoy's
// order of checks and its status texts (google/jwt_verify_lib): format, header, payload,
// issuer, audiences, time (with clock skew), key, signature. Signatures are checked by jose
// (jwtVerify over the provider's JWKS), restricted to the algorithms the JWKS has keys for, so
// `alg: none` and HS256 "signed" with an RSA public key never verify.
import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions, type KeyObject, type CryptoKey } from 'jose';
import type { JwtProvider } from './config.js';

/** Envoy's status texts (the 401/403 body). */
export const JWT_STATUS = {
  missing: 'Jwt is missing',
  badFormat: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  headerBase64: 'Jwt header is an invalid Base64url encoded',
  headerJson: 'Jwt header is an invalid JSON',
  headerBadAlg: 'Jwt header [alg] field is required and must be a string',
  headerAlgNotImplemented: 'Jwt header [alg] is not supported',
  headerBadKid: 'Jwt header [kid] field is not a string',
  payloadBase64: 'Jwt payload is an invalid Base64url encoded',
  payloadJson: 'Jwt payload is an invalid JSON',
  issNotString: 'Jwt payload [iss] field is not a string',
  subNotString: 'Jwt payload [sub] field is not a string',
  audNotString: 'Jwt payload [aud] field is not a string or string list',
  expNotInteger: 'Jwt payload [exp] field is not an integer',
  nbfNotInteger: 'Jwt payload [nbf] field is not an integer',
  signatureBase64: 'Jwt signature is an invalid Base64url encoded',
  unknownIssuer: 'Jwt issuer is not configured',
  audienceNotAllowed: 'Audiences in Jwt are not allowed',
  notYetValid: 'Jwt not yet valid',
  expired: 'Jwt is expired',
  kidAlgMismatch: "Jwks doesn't have key to match kid or alg from Jwt",
  verificationFail: 'Jwt verification fails',
} as const;

export type JwtStatusText = (typeof JWT_STATUS)[keyof typeof JWT_STATUS];

export type VerifyResult =
  | { ok: true; provider: JwtProvider; payload: JWTPayload; payloadB64: string }
  | { ok: false; status: 401 | 403; text: JwtStatusText };

/** Algorithms Envoy implements; anything else (including "none") is "not supported". */
const KNOWN_ALGS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512']);
const B64URL = /^[A-Za-z0-9_-]*$/;

// Every invalid token is a 401, as Istio documents for RequestAuthentication. (Envoy itself
// answers 403 when only the audience is wrong; the body still names the reason.)
function fail(text: JwtStatusText): VerifyResult {
  return { ok: false, status: 401, text };
}

function decodeJsonPart(part: string, base64Error: JwtStatusText, jsonError: JwtStatusText): Record<string, unknown> | JwtStatusText {
  if (!B64URL.test(part)) return base64Error;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return jsonError;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : jsonError;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * `candidates`: the providers that look for tokens where this one was found. `nowSec` is the
 * current time in seconds (a parameter so tests can move the clock).
 */
export async function verifyJwt(token: string, candidates: readonly JwtProvider[], nowSec: number = Date.now() / 1000): Promise<VerifyResult> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '') return fail(JWT_STATUS.badFormat);
  const [h64, p64, s64] = parts as [string, string, string];
  const header = decodeJsonPart(h64, JWT_STATUS.headerBase64, JWT_STATUS.headerJson);
  if (typeof header === 'string') return fail(header);
  if (typeof header.alg !== 'string') return fail(JWT_STATUS.headerBadAlg);
  if (!KNOWN_ALGS.has(header.alg)) return fail(JWT_STATUS.headerAlgNotImplemented);
  if (header.kid !== undefined && typeof header.kid !== 'string') return fail(JWT_STATUS.headerBadKid);
  const payload = decodeJsonPart(p64, JWT_STATUS.payloadBase64, JWT_STATUS.payloadJson);
  if (typeof payload === 'string') return fail(payload);
  if (payload.iss !== undefined && typeof payload.iss !== 'string') return fail(JWT_STATUS.issNotString);
  if (payload.sub !== undefined && typeof payload.sub !== 'string') return fail(JWT_STATUS.subNotString);
  const aud = payload.aud;
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) return fail(JWT_STATUS.audNotString);
  if (payload.exp !== undefined && !isInt(payload.exp)) return fail(JWT_STATUS.expNotInteger);
  if (payload.nbf !== undefined && !isInt(payload.nbf)) return fail(JWT_STATUS.nbfNotInteger);
  if (!B64URL.test(s64)) return fail(JWT_STATUS.signatureBase64);

  const provider = candidates.find((p) => p.issuer === payload.iss);
  if (!provider) return fail(JWT_STATUS.unknownIssuer);
  if (provider.audiences.length > 0) {
    const list = aud === undefined ? [] : typeof aud === 'string' ? [aud] : (aud as string[]);
    if (!list.some((a) => provider.audiences.includes(a))) return fail(JWT_STATUS.audienceNotAllowed);
  }
  const skew = provider.clockSkewSec;
  if (isInt(payload.nbf) && nowSec + skew < payload.nbf) return fail(JWT_STATUS.notYetValid);
  if (isInt(payload.exp) && nowSec > payload.exp + skew) return fail(JWT_STATUS.expired);
  if (!provider.algorithms.has(header.alg)) return fail(JWT_STATUS.kidAlgMismatch);

  const options: JWTVerifyOptions = {
    algorithms: [...provider.algorithms],
    issuer: provider.issuer,
    clockTolerance: skew,
    currentDate: new Date(nowSec * 1000),
    ...(provider.audiences.length > 0 ? { audience: provider.audiences } : {}),
  };
  try {
    await jwtVerify(token, provider.keys, options);
  } catch (err) {
    if (err instanceof joseErrors.JWKSMultipleMatchingKeys) {
      // No kid and several keys fit the alg: any of them may have signed it (as Envoy tries all).
      if (!(await anyKeyVerifies(token, err, options))) return fail(JWT_STATUS.verificationFail);
    } else {
      return fail(statusOfJoseError(err));
    }
  }
  return { ok: true, provider, payload: payload as JWTPayload, payloadB64: p64 };
}

async function anyKeyVerifies(token: string, keys: AsyncIterable<CryptoKey | KeyObject>, options: JWTVerifyOptions): Promise<boolean> {
  for await (const key of keys) {
    try {
      await jwtVerify(token, key, options);
      return true;
    } catch {
      // try the next key
    }
  }
  return false;
}

function statusOfJoseError(err: unknown): JwtStatusText {
  if (err instanceof joseErrors.JWKSNoMatchingKey) return JWT_STATUS.kidAlgMismatch;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return JWT_STATUS.kidAlgMismatch;
  if (err instanceof joseErrors.JWTExpired) return JWT_STATUS.expired;
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return JWT_STATUS.notYetValid;
    if (err.claim === 'iss') return JWT_STATUS.unknownIssuer;
    if (err.claim === 'aud') return JWT_STATUS.audienceNotAllowed;
  }
  return JWT_STATUS.verificationFail;
}
