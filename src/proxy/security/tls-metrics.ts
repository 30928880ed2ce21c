// Proxy-level counters for the inbound mTLS edge (what Envoy shows as ssl.* and
// listener.*.no_filter_chain_match): connections served over mutual TLS or plaintext, and
// connections closed before reaching the app, by reason.
import type { Registry } from '../../telemetry/prom.js';
import type { InboundTlsStats } from './inbound-tls.js';

export function registerTlsMetrics(registry: Registry, stats: InboundTlsStats): void {
  registry.gauge({
    name: 'weft_inbound_connections_total',
    help: 'Inbound connections on listeners with mTLS chains, by transport (mutual_tls, plaintext).',
    labelNames: ['transport'],
    collect: () => [
      { labels: ['mutual_tls'], value: stats.mutualTls },
      { labels: ['plaintext'], value: stats.plaintext },
    ],
  });
  registry.gauge({
    name: 'weft_inbound_connections_refused_total',
    help: 'Inbound connections closed before reaching the app (plaintext under STRICT, failed handshake, rejected identity).',
    labelNames: ['reason'],
    collect: () => [...stats.refused].map(([reason, value]) => ({ labels: [reason], value })),
  });
}
