// The client side of TLS: opens an upstream socket for a host, plaintext or TLS as its cluster's
// transport (selected per endpoint by ../security/tls-config.ts selectTransport) says. Istio
// mutual TLS uses the workload certificate and trust bundle from the IdentityProvider (SDS
// "default" / "ROOTCA"); DestinationRule SIMPLE/MUTUAL use files. Chains are verified by OpenSSL
// (rejectUnauthorized); the peer identity by checkServerIdentity: with the mesh bundle the peer
// must be a well-formed X.509-SVID matching match_subject_alt_names, with a CA file the SANs
// (URI or DNS) must match when matchers are given. A failure becomes UF with a clear reason.
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import type { IdentityProvider } from './identity.js';
import type { UpstreamTls } from './tls-config.js';
import { matchesSan, verifySvid } from './spiffe-verify.js';

export const PEER_IDENTITY_ERROR = 'ERR_WEFT_PEER_IDENTITY';

interface Target {
  address: string;
  port: number;
  transport: UpstreamTls | null;
}

/** Secure contexts per config, rebuilt when the identity changes. */
export class UpstreamTlsContexts {
  private identity: IdentityProvider | undefined;
  private readonly contexts = new Map<string, tls.SecureContext>();

  setIdentity(identity: IdentityProvider | undefined): void {
    this.identity = identity;
    this.contexts.clear();
    identity?.onChange(() => this.contexts.clear());
  }

  private context(t: UpstreamTls): tls.SecureContext {
    const hit = this.contexts.get(t.key);
    if (hit) return hit;
    const opts: tls.SecureContextOptions = { minVersion: 'TLSv1.2' };
    if (t.identity?.kind === 'sds' || t.trust?.kind === 'sds') {
      const cert = this.identity?.certificate();
      const bundle = this.identity?.trustBundle();
      if (t.identity?.kind === 'sds') {
        if (!cert) throw tlsError('TLS error: no workload certificate yet (SDS secret "default")');
        opts.cert = cert.certChainPem;
        opts.key = cert.keyPem;
      }
      if (t.trust?.kind === 'sds') {
        if (!bundle) throw tlsError('TLS error: no trust bundle yet (SDS secret "ROOTCA")');
        opts.ca = bundle;
      }
    }
    try {
      if (t.identity?.kind === 'files') {
        opts.cert = fs.readFileSync(t.identity.certFile);
        opts.key = fs.readFileSync(t.identity.keyFile);
      }
      if (t.trust?.kind === 'file') opts.ca = fs.readFileSync(t.trust.caFile);
    } catch (err) {
      throw tlsError(`TLS error: ${err instanceof Error ? err.message : String(err)}`);
    }
    const ctx = tls.createSecureContext(opts);
    if (this.contexts.size > 256) this.contexts.clear();
    this.contexts.set(t.key, ctx);
    return ctx;
  }

  /**
   * Opens the connection; `ready` is the event that means "usable" ('connect' or
   * 'secureConnect'). Errors (including identity mismatches) arrive as the socket's 'error'.
   */
  open(target: Target, opts: { allowHalfOpen?: boolean } = {}): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
    const t = target.transport;
    if (!t) return { socket: net.connect({ host: target.address, port: target.port, noDelay: true, allowHalfOpen: opts.allowHalfOpen ?? false }), ready: 'connect' };
    let secureContext: tls.SecureContext;
    try {
      secureContext = this.context(t);
    } catch (err) {
      const s = new net.Socket();
      process.nextTick(() => s.destroy(err as Error));
      return { socket: s, ready: 'secureConnect' };
    }
    const sni = t.sni && net.isIP(t.sni) === 0 ? t.sni : undefined;
    // The TCP socket is made here so tcp_proxy's half-close setting carries over to the TLS socket.
    const tcp = net.connect({ host: target.address, port: target.port, noDelay: true, allowHalfOpen: opts.allowHalfOpen ?? false });
    const socket = tls.connect({
      socket: tcp,
      ...(sni ? { servername: sni } : {}),
      ALPNProtocols: t.alpn.length > 0 ? t.alpn : undefined,
      secureContext,
      rejectUnauthorized: t.trust !== null,
      checkServerIdentity: (_host, cert) => {
        const r = checkPeer(t, cert);
        if (typeof r === 'string') verifiedPeers.set(socket, r);
        return typeof r === 'string' ? undefined : r;
      },
    });
    tcp.once('error', (err) => socket.destroy(err));
    return { socket, ready: 'secureConnect' };
  }
}

function tlsError(message: string): Error {
  return Object.assign(new Error(message), { code: PEER_IDENTITY_ERROR });
}

const verifiedPeers = new WeakMap<net.Socket, string>();

/** Objects standing for a connection's socket (an HTTP/2 stream's socket shim → the session's socket). */
const socketAliases = new WeakMap<object, net.Socket>();

/** Lets `verifiedPeerOf(alias)` answer for `socket` (an h2 stream over a shared TLS session). */
export function aliasSocket(alias: object, socket: net.Socket): void {
  socketAliases.set(alias, socket);
}

/** The SPIFFE ID an upstream TLS connection verified (mesh mTLS), else undefined. */
export function verifiedPeerOf(socket: net.Socket | undefined): string | undefined {
  if (!socket) return undefined;
  const direct = verifiedPeers.get(socket);
  if (direct !== undefined) return direct;
  const real = socketAliases.get(socket);
  return real ? verifiedPeers.get(real) : undefined;
}

/** An error, the verified SPIFFE ID (mesh trust), or undefined (accepted, no SPIFFE identity). */
function checkPeer(t: UpstreamTls, cert: tls.PeerCertificate): Error | string | undefined {
  if (t.trust === null) return undefined; // insecureSkipVerify
  if (t.trust.kind === 'sds') {
    const r = verifySvid(cert.raw, t.sanMatchers);
    return r.ok ? r.spiffeId : tlsError(`TLS error: ${r.reason}`);
  }
  if (t.sanMatchers.length === 0) return undefined;
  const sans = (cert.subjectaltname ?? '').split(', ').map((s) => s.replace(/^(DNS|URI|IP Address):/, ''));
  if (sans.some((s) => matchesSan(s, t.sanMatchers))) return undefined;
  return tlsError(`TLS error: peer certificate SANs [${sans.join(', ')}] do not match ${t.sanMatchers.map((m) => m.value).join(' | ')}`);
}

/** The transport failure reason of a failed connect, as the UF response body shows it. */
export function connectFailureReason(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return 'delayed connect error: Connection refused';
  if (err.code === PEER_IDENTITY_ERROR) return err.message;
  if (err.code && (err.code.startsWith('ERR_SSL') || /CERT|SIGNATURE|ISSUER|SELF_SIGNED|VERIFY/.test(err.code))) return `TLS error: ${err.code}: ${err.message.split('\n')[0] ?? ''}`;
  return err.code ?? err.message;
}

/** The process's contexts (one proxy per process); the Proxy sets its identity at start. */
export const upstreamTls = new UpstreamTlsContexts();
