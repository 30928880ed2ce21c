// RBAC counters, so a denial is explainable from /stats/prometheus: which filter kind, which
// listener (stat_prefix) and which policy (Istio's ns[..]-policy[..]-rule[..], or "none" when
// ALLOW policies exist and none matched). Envoy's equivalents are <prefix>rbac.allowed/denied and
// the per-policy rbac.policy.<name>.denied stats.
import type { Counter, Registry } from '../../../telemetry/prom.js';
import type { RbacDecision } from './evaluate.js';

export type RbacFilterKind = 'http' | 'network';

export class RbacMetrics {
  private readonly allowed: Counter;
  private readonly denied: Counter;
  private readonly logged: Counter;

  constructor(registry: Registry) {
    this.allowed = registry.counter({ name: 'envoy_rbac_allowed_total', help: 'Requests (http) or connections (network) RBAC allowed.', labelNames: ['filter', 'stat_prefix'] });
    this.denied = registry.counter({ name: 'envoy_rbac_denied_total', help: 'Requests or connections RBAC denied, by policy ("none": no ALLOW policy matched).', labelNames: ['filter', 'stat_prefix', 'policy'] });
    this.logged = registry.counter({ name: 'envoy_rbac_logged_total', help: 'AUDIT policy matches (allowed, logged).', labelNames: ['filter', 'stat_prefix', 'policy'] });
  }

  record(filter: RbacFilterKind, statPrefix: string, d: RbacDecision): void {
    for (const p of d.logged) this.logged.labels(filter, statPrefix, p).inc();
    if (d.allowed) this.allowed.labels(filter, statPrefix).inc();
    else this.denied.labels(filter, statPrefix, d.policy).inc();
  }
}
