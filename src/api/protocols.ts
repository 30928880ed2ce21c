// Port protocols: the explicit `protocol:` field (ServiceEntry, Gateway, Workload) and Istio's
// naming convention (protocol from the port name's prefix: "http-web" → HTTP).

import type { PortProtocol } from './types.js';
import type { Field } from './validate-common.js';

export const PORT_PROTOCOLS: readonly PortProtocol[] = ['HTTP', 'HTTP2', 'GRPC', 'TCP', 'HTTPS', 'TLS'];

/** Istio protocols Weft carries as plain TCP (no protocol-specific filters). */
const TCP_CARRIED = ['MONGO', 'REDIS', 'MYSQL'] as const;

const ALIASES: Readonly<Record<string, { value: PortProtocol; warning: string }>> = Object.fromEntries(
  TCP_CARRIED.map((p) => [p, { value: 'TCP', warning: `protocol ${p} is treated as TCP (Weft has no ${p}-specific support)` }]),
);

/** Reads a `protocol:` field, case-insensitively. MONGO, REDIS and MYSQL read as TCP with a warning. */
export function readProtocol(f: Field, opts: { required: true }): PortProtocol;
export function readProtocol(f: Field, opts?: { required?: boolean }): PortProtocol | undefined;
export function readProtocol(f: Field, opts: { required?: boolean } = {}): PortProtocol | undefined {
  if (opts.required) return f.oneOf(PORT_PROTOCOLS, { required: true, ignoreCase: true, aliases: ALIASES });
  return f.oneOf(PORT_PROTOCOLS, { ignoreCase: true, aliases: ALIASES });
}

/**
 * Istio's port naming convention: the protocol is the name up to the first "-", case-insensitive
 * ("http", "http-web" → HTTP; "grpc-api" → GRPC; "tcp-db" → TCP). Undefined when the prefix is
 * not a protocol Weft knows.
 */
export function protocolFromPortName(name: string): PortProtocol | undefined {
  const dash = name.indexOf('-');
  const prefix = (dash < 0 ? name : name.slice(0, dash)).toUpperCase();
  if ((PORT_PROTOCOLS as readonly string[]).includes(prefix)) return prefix as PortProtocol;
  if ((TCP_CARRIED as readonly string[]).includes(prefix)) return 'TCP';
  return undefined;
}
