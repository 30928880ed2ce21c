// Each HTTP/2 client session's underlying (TLS or TCP) socket. `session.socket` is only a proxy of
// it, and the peer a TLS socket verified is recorded on the socket itself (../../security/upstream-tls.ts).
import type http2 from 'node:http2';
import type net from 'node:net';

const sessionSockets = new WeakMap<http2.ClientHttp2Session, net.Socket>();

export function setSessionSocket(session: http2.ClientHttp2Session, socket: net.Socket): void {
  sessionSockets.set(session, socket);
}

export function sessionSocket(session: http2.ClientHttp2Session): net.Socket | undefined {
  return sessionSockets.get(session);
}
