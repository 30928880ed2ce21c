// WebSocket pass-through (HTTP/1.1 Upgrade), enabled by the HCM's upgrade_configs [websocket]:
// the request keeps `Connection: upgrade` and `Upgrade: websocket` (hop-by-hop otherwise); a 101
// answer turns the exchange into a tunnel: the 101 head goes downstream, both sockets leave the
// HTTP codecs (the upstream connection is never pooled again) and are spliced both ways. Any
// other answer is a normal response.
import type { RequestHead } from './codec/h1/request-parser.js';
import type { ResponseHead } from './codec/h1/response-parser.js';
import { HOP_BY_HOP } from './codec/h1/headers.js';
import { reasonPhrase } from './codec/h1/serialize.js';
import { PEER_METADATA_HEADER } from '../../xds/node-metadata.js';
import type { DownstreamConnection } from './downstream.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import { splice } from '../network/splice.js';

/** The hop-by-hop header lines an upgrade request keeps (''. when it is not a WebSocket upgrade). */
export function upgradeRequestHeaders(req: RequestHead, websocket: boolean | undefined): string {
  if (!websocket || req.upgrade === undefined || !/(^|[\s,])websocket($|[\s,])/i.test(req.upgrade)) return '';
  return `connection: upgrade\r\nupgrade: ${req.upgrade}\r\n`;
}

/**
 * After the upstream answered 101: writes the 101 head downstream (end-to-end headers, the upgrade
 * pair, `selfHeader` as peer metadata when given), then splices the sockets. `onClose` gets the
 * tunnel's byte counts once both sides are closed. Returns the upstream's peer metadata header.
 */
export function openTunnel(
  down: DownstreamConnection,
  up: UpstreamConnection,
  head: ResponseHead,
  selfHeader: string | null,
  onClose: (upstreamBytes: number, downstreamBytes: number) => void,
): string | undefined {
  let peer: string | undefined;
  let upgrade = 'websocket';
  let s = `HTTP/1.1 101 ${head.reason || reasonPhrase(101)}\r\n`;
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i]!;
    const value = h[i + 1]!;
    if (name === 'upgrade') upgrade = value;
    if (name === 'content-length' || HOP_BY_HOP.has(name) || head.connectionTokens.includes(name)) continue;
    if (name === PEER_METADATA_HEADER) {
      peer = value;
      continue;
    }
    s += `${name}: ${value}\r\n`;
  }
  if (selfHeader !== null) s += `${PEER_METADATA_HEADER}: ${selfHeader}\r\n`;
  s += `connection: upgrade\r\nupgrade: ${upgrade}\r\n\r\n`;
  down.write(s);
  const { socket: downSocket, pending } = down.takeSocket();
  const { socket: upSocket, pending: upPending } = up.takeSocket();
  let upBytes = 0;
  let downBytes = 0;
  splice(
    downSocket,
    upSocket,
    {
      onDownstreamBytes: (n) => (downBytes += n),
      onUpstreamBytes: (n) => (upBytes += n),
      onClose: () => onClose(upBytes, downBytes),
    },
    { downstreamHead: pending, upstreamHead: upPending },
  );
  return peer;
}
