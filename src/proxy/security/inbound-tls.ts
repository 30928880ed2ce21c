// The server side of mTLS for inbound listeners whose chains are matched by transport protocol
// (Istio's tls_inspector + "tls" chain with application_protocols, + "raw_buffer" chain when
// PERMISSIVE). Each accepted connection's first bytes are peeked (../network/client-hello.ts):
//   - a TLS ClientHello offering one of the chain's ALPN names → TLS terminated with the workload
//     certificate, the client certificate required and its chain verified against the trust bundle
//     by OpenSSL, then the X.509-SVID checks (./spiffe-verify.ts) → ConnectionSecurity mutual_tls;
//   - anything else → plaintext when a raw_buffer chain exists, else closed before one byte
//     reaches the application (STRICT).
// One tls.Server per distinct TLS setting holds the SecureContext; it is rebuilt (setSecureContext)
// whenever the IdentityProvider's certificate or bundle changes, so renewals need no restart.
import { createHash } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import type { ConnectionSecurity, IdentityProvider } from './identity.js';
import { PLAINTEXT } from './identity.js';
import type { InboundTlsConfig } from './tls-config.js';
import { principalOf, verifySvid } from './spiffe-verify.js';
import { peekSni } from '../network/client-hello.js';

/** What an mTLS connection proved, beyond the shared shape: for XFCC and telemetry. */
export interface MutualTlsSecurity extends ConnectionSecurity {
  policy: 'mutual_tls';
  peerPrincipal: string;
  peerSpiffeId: string;
  /** Hex SHA-256 of the peer leaf (DER), XFCC's Hash. */
  peerCertHash: string;
}

export function isMutualTls(s: ConnectionSecurity): s is MutualTlsSecurity {
  return s.policy === 'mutual_tls' && (s as MutualTlsSecurity).peerSpiffeId !== undefined;
}

/** How long to wait for a first byte / ClientHello, and for the TLS handshake. */
const PEEK_TIMEOUT_MS = 10_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface InboundTlsStats {
  /** Connections closed before reaching the app, by reason ("plaintext", "handshake", "identity", ...). */
  refused: Map<string, number>;
  mutualTls: number;
  plaintext: number;
}

type Pending = (s: tls.TLSSocket | null, reason: string) => void;

export class InboundTls {
  readonly stats: InboundTlsStats = { refused: new Map(), mutualTls: 0, plaintext: 0 };
  private readonly servers = new Map<string, tls.Server>();
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly identity: IdentityProvider | undefined,
    private readonly log: (msg: string) => void,
  ) {
    identity?.onChange(() => {
      const opts = this.contextOptions();
      if (!opts) return;
      for (const s of this.servers.values()) s.setSecureContext(opts);
    });
  }

  /**
   * Classifies and, for TLS, terminates one accepted connection; `serve` gets the socket to speak
   * plaintext on (the TLSSocket for mTLS) and what the connection proved. Refused connections
   * are destroyed here.
   */
  accept(socket: net.Socket, cfg: InboundTlsConfig, serve: (s: net.Socket, security: ConnectionSecurity) => void, halfOpen = false): void {
    socket.setNoDelay(true);
    peekSni(socket, PEEK_TIMEOUT_MS, (_sni, head, alpn) => {
      const isTls = head.length > 0 && head[0] === 0x16;
      if (!isTls) {
        if (!cfg.allowPlaintext) return this.refuse(socket, 'plaintext', 'plaintext connection refused (mTLS STRICT)');
        if (head.length > 0) socket.unshift(head);
        this.stats.plaintext++;
        serve(socket, PLAINTEXT);
        return;
      }
      const apps = cfg.applicationProtocols;
      if (apps.length > 0 && !alpn.some((a) => apps.includes(a))) {
        return this.refuse(socket, 'alpn', `TLS without a mesh ALPN (offered [${alpn.join(', ')}]) matches no filter chain`);
      }
      const server = this.serverFor(cfg, halfOpen);
      if (!server) return this.refuse(socket, 'no_certificate', 'no workload certificate yet: TLS connection refused');
      const key = connKey(socket);
      this.pending.set(key, (tlsSocket, reason) => {
        if (!tlsSocket) return this.refuse(socket, 'handshake', `TLS handshake failed: ${reason}`);
        const cert = tlsSocket.getPeerCertificate();
        if (!cert.raw) {
          if (cfg.tls.requireClientCertificate) return this.refuse(tlsSocket, 'identity', 'no client certificate');
          this.stats.plaintext++;
          serve(tlsSocket, PLAINTEXT);
          return;
        }
        const r = verifySvid(cert.raw, cfg.tls.sanMatchers);
        if (!r.ok) return this.refuse(tlsSocket, 'identity', `client certificate rejected: ${r.reason}`);
        this.stats.mutualTls++;
        const security: MutualTlsSecurity = {
          policy: 'mutual_tls',
          peerPrincipal: principalOf(r.spiffeId),
          peerSpiffeId: r.spiffeId,
          peerCertHash: createHash('sha256').update(cert.raw).digest('hex'),
        };
        serve(tlsSocket, security);
      });
      socket.once('close', () => this.pending.delete(key));
      socket.unshift(head);
      server.emit('connection', socket);
    });
  }

  private refuse(socket: net.Socket, kind: string, why: string): void {
    this.stats.refused.set(kind, (this.stats.refused.get(kind) ?? 0) + 1);
    this.log(`inbound ${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}: ${why}`);
    socket.destroy();
  }

  private contextOptions(): tls.SecureContextOptions | null {
    const cert = this.identity?.certificate();
    const bundle = this.identity?.trustBundle();
    if (!cert || !bundle) return null;
    return { cert: cert.certChainPem, key: cert.keyPem, ca: bundle, minVersion: 'TLSv1.2' };
  }

  /** `halfOpen`: tcp_proxy listeners keep a half-closed connection's other direction open. */
  private serverFor(cfg: InboundTlsConfig, halfOpen: boolean): tls.Server | null {
    const key = JSON.stringify([cfg.tls.alpn, cfg.applicationProtocols, cfg.tls.requireClientCertificate, halfOpen]);
    const hit = this.servers.get(key);
    if (hit) return hit;
    const ctx = this.contextOptions();
    if (!ctx) return null;
    const preferred = cfg.tls.alpn;
    const mesh = cfg.applicationProtocols;
    const server = tls.createServer({
      ...ctx,
      allowHalfOpen: halfOpen,
      requestCert: true,
      rejectUnauthorized: cfg.tls.requireClientCertificate,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      // The server's own preference first; else the mesh ALPN the chain matched (Envoy answers
      // without ALPN there; Node would refuse the handshake, so it echoes the client's).
      ALPNCallback: ({ protocols }) => protocols.find((p) => preferred.includes(p)) ?? protocols.find((p) => mesh.includes(p)) ?? protocols[0],
    });
    server.on('secureConnection', (s: tls.TLSSocket) => {
      const k = connKey(s);
      const p = this.pending.get(k);
      this.pending.delete(k);
      if (p) p(s, '');
      else s.destroy();
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, s: tls.TLSSocket) => {
      const k = connKey(s);
      const p = this.pending.get(k);
      this.pending.delete(k);
      const reason = err.code ? `${err.code}: ${err.message.split('\n')[0] ?? ''}` : err.message;
      if (p) p(null, reason);
      s.destroy();
    });
    this.servers.set(key, server);
    return server;
  }
}

function connKey(s: net.Socket): string {
  return `${s.localAddress ?? ''}:${s.localPort ?? ''}<${s.remoteAddress ?? ''}:${s.remotePort ?? ''}`;
}
