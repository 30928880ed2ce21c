// Joins two sockets both ways, bytes as they are: each direction pauses its reader while the
// writer's buffer is full and resumes on 'drain'; an end (FIN) is passed on as an end, so a
// half-closed connection keeps flowing the other way; a reset or error on either side destroys
// the other. Used by the TCP proxy and by WebSocket (Upgrade) tunnels.
import type net from 'node:net';

export interface SpliceHooks {
  /** Bytes read from the downstream and written upstream. */
  onDownstreamBytes?: (n: number) => void;
  /** Bytes read from the upstream and written downstream. */
  onUpstreamBytes?: (n: number) => void;
  /** Both sockets are closed; called once. */
  onClose: (hadError: boolean) => void;
}

export interface SpliceOptions {
  /** Bytes the downstream sent before the splice (already read), forwarded upstream first. */
  downstreamHead?: Buffer | null;
  /** Bytes the upstream sent before the splice, forwarded downstream first. */
  upstreamHead?: Buffer | null;
}

function pump(from: net.Socket, to: net.Socket, count: ((n: number) => void) | undefined): void {
  from.on('data', (chunk: Buffer) => {
    count?.(chunk.length);
    if (to.destroyed || to.writableEnded) return;
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => {
    if (!from.destroyed) from.resume();
  });
  from.on('end', () => {
    if (!to.destroyed && !to.writableEnded) to.end();
  });
}

export function splice(down: net.Socket, up: net.Socket, hooks: SpliceHooks, opts: SpliceOptions = {}): void {
  let open = 2;
  let hadError = false;
  const closed = (other: net.Socket) => (err: boolean): void => {
    if (err) hadError = true;
    // A reset on one side is a reset on the other; a clean close leaves the other to finish writing.
    if (err) other.destroy();
    else if (!other.destroyed && !other.writableEnded) other.end();
    if (--open === 0) hooks.onClose(hadError);
  };
  down.on('error', () => {
    hadError = true;
  });
  up.on('error', () => {
    hadError = true;
  });
  down.once('close', closed(up));
  up.once('close', closed(down));
  if (opts.downstreamHead && opts.downstreamHead.length > 0) {
    hooks.onDownstreamBytes?.(opts.downstreamHead.length);
    up.write(opts.downstreamHead);
  }
  if (opts.upstreamHead && opts.upstreamHead.length > 0) {
    hooks.onUpstreamBytes?.(opts.upstreamHead.length);
    down.write(opts.upstreamHead);
  }
  pump(down, up, hooks.onDownstreamBytes);
  pump(up, down, hooks.onUpstreamBytes);
  // A side whose 'end' was already emitted (a FIN read while something else held the socket,
  // e.g. during a metadata exchange) would never emit it again: pass it on now.
  if (down.readableEnded && !up.destroyed && !up.writableEnded) up.end();
  if (up.readableEnded && !down.destroyed && !down.writableEnded) down.end();
  down.resume();
  up.resume();
}
