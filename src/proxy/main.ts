// Proxy process entry: `node dist/src/proxy/main.js --xds-address H:P --type sidecar --ip IP ...`
import { parseArgs } from 'node:util';
import { Proxy } from './proxy.js';
import type { ProxyMetadata } from '../xds/node-metadata.js';
import { IDENTITY_FLAGS, identityOptions } from './security/flags.js';
import { checkLocality, parseLocality } from '../api/locality.js';
import { FileIdentityProvider } from './security/file-identity.js';

function parseMap(s: string | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  for (const part of s.split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${flag}: expected k=v[,k=v], got "${s}"`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

function seconds(text: string | undefined, flag: string): number {
  const n = Number(text);
  if (text === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag}: expected seconds, got "${text}"`);
  return Math.round(n * 1000);
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      'xds-address': { type: 'string', default: '127.0.0.1:15010' },
      type: { type: 'string', default: 'sidecar' },
      ip: { type: 'string', default: '127.0.0.1' },
      name: { type: 'string' },
      namespace: { type: 'string', default: 'default' },
      workload: { type: 'string' },
      labels: { type: 'string', default: '' },
      'service-account': { type: 'string', default: 'default' },
      'admin-port': { type: 'string', default: '15000' },
      'stats-port': { type: 'string', default: '15090' },
      'outbound-port': { type: 'string', default: '15001' },
      'port-map': { type: 'string', default: '' },
      cluster: { type: 'string', default: 'Kubernetes' },
      'drain-seconds': { type: 'string', default: '5' },
      'drain-grace-seconds': { type: 'string', default: '1' },
      ...IDENTITY_FLAGS,
      locality: { type: 'string' },
      // Directory with cert-chain.pem, key.pem, root-cert.pem (file-mounted identity; reloaded on change).
      'cert-dir': { type: 'string' },
      'metrics-expiry-seconds': { type: 'string', default: '600' },
    },
  });
  const type = v.type === 'router' ? 'router' : v.type === 'sidecar' ? 'sidecar' : null;
  if (!type) throw new Error(`--type: expected sidecar or router, got "${v.type}"`);
  const ip = v.ip ?? '127.0.0.1';
  const adminPort = Number(v['admin-port']);
  const portMap: Record<string, number> = {};
  for (const [k, val] of Object.entries(parseMap(v['port-map'], '--port-map'))) portMap[k] = Number(val);
  const workload = v.workload ?? v.name ?? 'unknown';
  const metadata: ProxyMetadata = {
    type,
    NAME: v.name ?? workload,
    NAMESPACE: v.namespace ?? 'default',
    WORKLOAD_NAME: workload,
    LABELS: parseMap(v.labels, '--labels'),
    SERVICE_ACCOUNT: v['service-account'] ?? 'default',
    INSTANCE_IP: ip,
    ADMIN_ADDRESS: `${ip}:${adminPort}`,
    OUTBOUND_PORT: Number(v['outbound-port']),
    CLUSTER_ID: v.cluster ?? 'Kubernetes',
    STATS_PORT: Number(v['stats-port']),
    PORT_MAP: portMap,
  };
  const log = (msg: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${metadata.NAME}: ${msg}\n`);
  };
  const drainTimeoutMs = seconds(v['drain-seconds'], '--drain-seconds');
  const drainGraceMs = Math.min(seconds(v['drain-grace-seconds'], '--drain-grace-seconds'), drainTimeoutMs);
  const badLocality = v.locality === undefined ? undefined : checkLocality(v.locality);
  if (badLocality) throw new Error(`--locality: ${badLocality}, got "${v.locality}"`);
  const proxy = new Proxy({
    xdsAddress: v['xds-address'] ?? '',
    metadata,
    ...(v.locality ? { locality: parseLocality(v.locality) } : {}),
    adminPort,
    statsPort: Number(v['stats-port']),
    log,
    drainGraceMs,
    drainTimeoutMs,
    ...identityOptions(v, process.env),
    ...(v['cert-dir'] ? { identityProvider: new FileIdentityProvider(v['cert-dir'], log) } : {}),
    metricsExpiryMs: seconds(v['metrics-expiry-seconds'], '--metrics-expiry-seconds'),
  });
  await proxy.start();
  process.stdout.write(`weft-proxy started ${metadata.NAME} admin=${metadata.ADMIN_ADDRESS}\n`);
  // SIGTERM: drain (Connection: close, stop accepting after the grace period, wait for in-flight
  // requests up to --drain-seconds), then exit. SIGINT, or a second signal: exit now.
  let stopping = false;
  const exitNow = (): void => {
    void proxy.stop().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGINT', exitNow);
  process.on('SIGTERM', () => {
    if (stopping) return exitNow();
    stopping = true;
    void proxy.drain().finally(exitNow);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`proxy failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
