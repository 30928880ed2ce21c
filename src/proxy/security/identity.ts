// Shared shapes for the security work (issue 4): what a workload's identity is, what a
// connection proved about its peer, and what a request proved about its caller. Producers:
// the certificate manager (identity), the mTLS listener/upstream code (ConnectionSecurity),
// the JWT filter (RequestAuth). Consumers: RBAC, telemetry, routing, admin.

/** A workload's current X.509-SVID. The private key never leaves the proxy process. */
export interface WorkloadCertificate {
  /** Leaf first, then intermediates (PEM). */
  certChainPem: string;
  /** PKCS#8 PEM; never logged, never dumped. */
  keyPem: string;
  /** e.g. "spiffe://cluster.local/ns/default/sa/order". */
  spiffeId: string;
  notBefore: Date;
  notAfter: Date;
  /** Hex serial number of the leaf. */
  serial: string;
}

/** Source of this proxy's certificate and of the roots it trusts for peers. */
export interface IdentityProvider {
  /** The current certificate; null until the first one is issued. */
  certificate(): WorkloadCertificate | null;
  /** PEM roots trusted for peers (during a root rotation: old and new). null until known. */
  trustBundle(): string | null;
  /** Called after the certificate or the trust bundle changed. */
  onChange(listener: () => void): void;
}

/** What one downstream connection proved (set once at accept / handshake). */
export interface ConnectionSecurity {
  /** Istio's connection_security_policy label on the destination reporter. */
  policy: 'mutual_tls' | 'none';
  /** Peer SPIFFE ID without the scheme ("cluster.local/ns/default/sa/order"), Istio's
   *  source.principal; undefined on plaintext connections. */
  peerPrincipal: string | undefined;
}

/** What a validated JWT proved (RequestAuthentication); Istio's request.auth.*. */
export interface RequestAuth {
  /** "<iss>/<sub>", Istio's request.auth.principal (requestPrincipals). */
  principal: string;
  claims: Readonly<Record<string, unknown>>;
}

export const PLAINTEXT: ConnectionSecurity = Object.freeze({ policy: 'none', peerPrincipal: undefined });
