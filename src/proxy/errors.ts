// Every way a request can fail in the proxy, as one typed error carrying Envoy's response flag.
// `localReply` is the single place these become HTTP responses.

export type ResponseFlag =
  | 'NR' // no route configured
  | 'NC' // upstream cluster not found
  | 'UH' // no healthy upstream host
  | 'UF' // upstream connection failure
  | 'UC' // upstream connection terminated
  | 'UT' // upstream request timeout
  | 'UO' // upstream overflow (circuit breaker)
  | 'URX' // retry limit or retry budget reached (added to the last attempt's flag)
  | 'UPE' // upstream protocol error
  | 'DPE' // downstream protocol error
  | 'DC' // downstream connection terminated
  | '-'; // no flag: a filter's deliberate local reply (jwt_authn's 401/403, an RBAC denial), as in Envoy

export class ProxyError extends Error {
  constructor(
    readonly flag: ResponseFlag,
    message: string,
    /** Envoy's %RESPONSE_CODE_DETAILS% when it says more than the flag (kept for access logs). */
    readonly details?: string,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

/**
 * jwt_authn rejected the request's token (RequestAuthentication). Envoy answers 401 (403 when
 * only the audience is wrong) with the verifier's status text as body, no response flag, and
 * response code details `jwt_authn_access_denied{<text with _ for spaces>}`.
 */
export class JwtAuthnError extends ProxyError {
  constructor(
    readonly status: 401 | 403,
    message: string,
    /** "http://<authority><path>", for WWW-Authenticate. */
    readonly realm: string,
  ) {
    super('-', message, `jwt_authn_access_denied{${message.replace(/ /g, '_')}}`);
    this.name = 'JwtAuthnError';
  }
}

/** An RBAC denial: 403 "RBAC: access denied", no flag, details rbac_access_denied_matched_policy[<policy>]. */
export function accessDenied(policy: string): ProxyError {
  return new ProxyError('-', `RBAC: access denied (policy ${policy})`, `rbac_access_denied_matched_policy[${policy.replace(/\s/g, '_')}]`);
}

/**
 * An ORIGINAL_DST (PassthroughCluster) request whose destination cannot be used (no host, bad
 * port, the proxy itself): Envoy's original_dst load balancer then has no host, so 503 UH.
 */
export function noOriginalDestination(reason: string): ProxyError {
  return new ProxyError('UH', `original destination: ${reason}`, 'no_healthy_upstream');
}

export interface LocalReply {
  status: number;
  body: string;
  /** Extra response headers (lower-case names). */
  headers?: Readonly<Record<string, string>>;
}

/** The one mapping from failures to what the client sees (bodies as Envoy words them). */
export function localReply(err: ProxyError): LocalReply {
  switch (err.flag) {
    case 'NR':
      return { status: 404, body: '' };
    case 'NC':
      return { status: 503, body: 'no cluster' };
    case 'UH':
      return { status: 503, body: 'no healthy upstream' };
    case 'UF':
      return { status: 503, body: `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${err.message}` };
    case 'UC':
      return { status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: connection termination' };
    case 'UT':
      return { status: 504, body: 'upstream request timeout' };
    case 'UO':
      return { status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow' };
    case 'URX':
      return { status: 503, body: 'upstream retry limit exceeded' };
    case 'UPE':
      return { status: 502, body: 'upstream protocol error' };
    case 'DPE':
      return { status: 400, body: 'Bad Request' };
    case 'DC':
      return { status: 0, body: '' };
    case '-':
      if (err instanceof JwtAuthnError) {
        return { status: err.status, body: err.message, headers: { 'www-authenticate': `Bearer realm="${err.realm}", error="invalid_token"` } };
      }
      return { status: 403, body: 'RBAC: access denied' };
  }
}
