// The control plane's CA flags (parsed in control/main.ts).
import type { CaSettings } from '../control-plane.js';

export const CA_FLAGS = {
  /** Istio's 15012: TLS gRPC with the certificate service and ADS. Off unless given. */
  'secure-xds-address': { type: 'string' },
  /** Operator CA ("bring your own root"): signing certificate, its key, and the chain up to the root. */
  'ca-cert': { type: 'string' },
  'ca-key': { type: 'string' },
  'ca-chain': { type: 'string' },
  /** Workload certificate lifetime in seconds (default 86400) and the most a proxy may ask for. */
  'workload-cert-ttl': { type: 'string' },
  'max-workload-cert-ttl': { type: 'string' },
} as const;

function hostPort(s: string, flag: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: expected HOST:PORT, got "${s}"`);
  return { host: s.slice(0, i), port };
}

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number of seconds, got "${text}"`);
  return Math.round(n * 1000);
}

export function caSettings(values: Partial<Record<keyof typeof CA_FLAGS, string | undefined>>): CaSettings {
  const out: CaSettings = {};
  const secure = values['secure-xds-address'];
  if (secure) out.secureXds = hostPort(secure, '--secure-xds-address');
  const cert = values['ca-cert'];
  const key = values['ca-key'];
  if ((cert === undefined) !== (key === undefined)) throw new Error('--ca-cert and --ca-key go together');
  if (values['ca-chain'] !== undefined && cert === undefined) throw new Error('--ca-chain needs --ca-cert and --ca-key');
  if (cert !== undefined && key !== undefined) {
    out.operator = { certFile: cert, keyFile: key, ...(values['ca-chain'] ? { chainFile: values['ca-chain'] } : {}) };
  }
  const ttl = seconds(values['workload-cert-ttl'], '--workload-cert-ttl');
  if (ttl !== undefined) out.certTtlMs = ttl;
  const max = seconds(values['max-workload-cert-ttl'], '--max-workload-cert-ttl');
  if (max !== undefined) out.maxCertTtlMs = max;
  return out;
}
