// One HTTP/2 (h2c, prior knowledge) client session per upstream host, shared by every request to
// that host as multiplexed streams. A session that received GOAWAY or closed is forgotten and the
// next request opens a new one; streams already open on it finish. Idle sessions close after the
// pool's idle timeout.
import { connectFailureReason, upstreamTls } from '../../security/upstream-tls.js';
import http2 from 'node:http2';
import net from 'node:net';
import { ProxyError } from '../../errors.js';
import type { Host } from '../../upstream/host.js';
import type { AcquireCallback } from '../../upstream/circuit-breaker.js';
import { H2UpstreamStream } from './upstream-stream.js';
import { setSessionSocket } from './session-sockets.js';

type Ready = (err: ProxyError | null, session: http2.ClientHttp2Session | null) => void;

interface Entry {
  session: http2.ClientHttp2Session;
  connected: boolean;
  waiters: Ready[];
}

const sessions = new WeakMap<Host, Entry>();

/** The host left its cluster: its session gets GOAWAY; streams in flight finish. */
export function closeSession(host: Host): void {
  const e = sessions.get(host);
  if (!e) return;
  sessions.delete(host);
  if (!e.session.closed) e.session.close();
}

/** Sessions that can take a new stream (for tests and diagnostics). */
export function usableSession(host: Host): http2.ClientHttp2Session | undefined {
  const e = sessions.get(host);
  return e?.connected ? e.session : undefined;
}

/**
 * Calls `ready` with a connected session to `host` (possibly synchronously): the current one, or
 * a new one after it connects; UF when connecting fails or takes longer than `connectTimeoutMs`.
 * Returns a function that stops waiting.
 */
export function withSession(host: Host, connectTimeoutMs: number, idleTimeoutMs: number, ready: Ready): () => void {
  let e = sessions.get(host);
  if (e && !e.session.closed && !e.session.destroyed) {
    if (e.connected) {
      ready(null, e.session);
      return () => {};
    }
  } else {
    e = open(host, connectTimeoutMs, idleTimeoutMs);
  }
  const entry = e;
  entry.waiters.push(ready);
  return () => {
    const i = entry.waiters.indexOf(ready);
    if (i >= 0) entry.waiters.splice(i, 1);
  };
}

function open(host: Host, connectTimeoutMs: number, idleTimeoutMs: number): Entry {
  let raw: net.Socket | undefined;
  const session = http2.connect(`http://${host.address}:${host.port}`, {
    settings: { enablePush: false },
    // Our own socket: over TLS when the host's transport says so (mTLS / DestinationRule TLS,
    // ../../security/upstream-tls.ts), and counted in the cluster's stats.
    createConnection: () => {
      const socket = host.transport ? upstreamTls.open(host).socket : net.connect({ host: host.address, port: host.port, noDelay: true });
      host.stats?.track(socket);
      raw = socket;
      return socket;
    },
  });
  // node:http2 calls createConnection inside connect(): the session's own socket, for identity.
  if (raw) setSessionSocket(session, raw);
  const entry: Entry = { session, connected: false, waiters: [] };
  sessions.set(host, entry);
  const forget = (): void => {
    if (sessions.get(host) === entry) sessions.delete(host);
  };
  const settle = (err: ProxyError | null): void => {
    const ws = entry.waiters.splice(0);
    for (const w of ws) w(err, err ? null : session);
  };
  let timer: NodeJS.Timeout | null = setTimeout(() => {
    timer = null;
    forget();
    session.destroy();
    settle(new ProxyError('UF', 'connect timeout'));
  }, connectTimeoutMs);
  session.once('connect', () => {
    if (timer) clearTimeout(timer);
    timer = null;
    entry.connected = true;
    settle(null);
  });
  session.on('error', (err: NodeJS.ErrnoException) => {
    forget();
    if (timer) {
      clearTimeout(timer);
      timer = null;
      settle(new ProxyError('UF', connectFailureReason(err)));
    }
  });
  session.on('goaway', forget);
  session.on('close', () => {
    forget();
    if (timer) {
      clearTimeout(timer);
      timer = null;
      settle(new ProxyError('UF', 'connection closed'));
    }
  });
  if (idleTimeoutMs > 0) {
    session.setTimeout(idleTimeoutMs, () => {
      forget();
      session.close();
    });
  }
  return entry;
}

/**
 * The HTTP/2 counterpart of ClusterPool.acquire: a new stream on the host's session, handed to the
 * Exchange as its upstream connection. Streams are never pooled; the session is.
 */
export function acquireStream(host: Host, connectTimeoutMs: number, idleTimeoutMs: number, cb: AcquireCallback): () => void {
  return withSession(host, connectTimeoutMs, idleTimeoutMs, (err, session) => {
    if (err || !session) cb(err ?? new ProxyError('UF', 'no session'), null, false);
    else cb(null, new H2UpstreamStream(host, session).asConnection(), false);
  });
}
