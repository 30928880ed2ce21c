// Istio's standard TCP metrics: istio_tcp_connections_opened_total, istio_tcp_connections_closed_total,
// istio_tcp_sent_bytes_total (upstream → downstream) and istio_tcp_received_bytes_total
// (downstream → upstream). Labels are Istio's HTTP set without response_code; request_protocol
// is "tcp". Resolved once per connection (not per chunk): the connection holds its series.
//
// Telemetry API overrides (./metric-overrides.ts, the istio.stats network filter in front of
// tcp_proxy) drop a family or remove / upsert tags per reporter, as for the HTTP metrics. There is
// no request on a TCP connection: an upserted tag's CEL value that reads attributes is "unknown"
// (literals work).
import type { CelAttributes } from '../../cel/cel.js';
import type { Counter, CounterChild, Registry } from '../../telemetry/prom.js';
import { ISTIO_LABEL_NAMES, resolveIstioLabels, type RequestRecord } from './istio-metrics.js';
import { applyPlan, familyLayout, isStandard, overridesKey, TCP_METRICS, type FamilyLayout, type ReporterOverrides } from './metric-overrides.js';

const CODE_INDEX = ISTIO_LABEL_NAMES.indexOf('response_code');
const PROTOCOL_INDEX = ISTIO_LABEL_NAMES.indexOf('request_protocol');
const GRPC_STATUS_INDEX = ISTIO_LABEL_NAMES.indexOf('grpc_response_status');
export const TCP_LABEL_NAMES = ISTIO_LABEL_NAMES.filter((n) => n !== 'response_code' && n !== 'grpc_response_status');

export type TcpConnectionLabels = Pick<RequestRecord, 'reporter' | 'source' | 'destination' | 'destinationService' | 'responseFlags' | 'connectionSecurityPolicy'>;

/** The part of a counter series a connection uses. */
export type TcpCounter = Pick<CounterChild, 'inc'>;

export interface TcpSeries {
  opened: TcpCounter;
  closed: TcpCounter;
  sent: TcpCounter;
  received: TcpCounter;
}

/** What CEL sees on a TCP connection: no request attributes (a literal still evaluates). */
const NO_ATTRIBUTES: CelAttributes = { scalar: () => undefined, header: () => undefined };

/** A disabled family's series: counts nothing. */
const DISABLED: TcpCounter = { inc: () => undefined };

const HELP: Record<(typeof TCP_METRICS)[number], string> = {
  tcp_connections_opened_total: 'TCP connections opened.',
  tcp_connections_closed_total: 'TCP connections closed.',
  tcp_sent_bytes_total: 'Bytes sent to the downstream (response direction).',
  tcp_received_bytes_total: 'Bytes received from the downstream (request direction).',
};

export class TcpMetrics {
  /** In TCP_METRICS order: opened, closed, sent, received. */
  private families: Counter[];
  /** Telemetry API overrides per family; null: Istio's standard labels. */
  private layouts: FamilyLayout[] | null = null;
  private ovKey = overridesKey({});

  constructor(private readonly registry: Registry) {
    this.families = this.register(TCP_METRICS.map(() => TCP_LABEL_NAMES));
  }

  private register(names: readonly (readonly string[])[]): Counter[] {
    return TCP_METRICS.map((m, i) => this.registry.counter({ name: `istio_${m}`, help: HELP[m], labelNames: names[i] ?? TCP_LABEL_NAMES }));
  }

  /**
   * Applies Telemetry API overrides for the TCP metrics. A change re-registers the four families
   * (their series start over); connections already open keep counting into the series they hold.
   */
  setOverrides(ov: ReporterOverrides): void {
    const key = overridesKey(ov);
    if (key === this.ovKey) return;
    this.ovKey = key;
    const layouts = TCP_METRICS.map((m) => familyLayout(m, TCP_LABEL_NAMES, ov));
    const standard = layouts.every((l) => isStandard(l, TCP_LABEL_NAMES));
    if (standard && this.layouts === null) return;
    for (const f of this.families) this.registry.remove(f.name);
    this.layouts = standard ? null : layouts;
    this.families = this.register(standard ? TCP_METRICS.map(() => TCP_LABEL_NAMES) : layouts.map((l) => l.labelNames));
  }

  /** The four series of one connection's label set. */
  series(l: TcpConnectionLabels): TcpSeries {
    const values = resolveIstioLabels({ ...l, requestProtocol: 'http', responseCode: 0, durationMs: 0, requestBytes: 0, responseBytes: 0 });
    values[PROTOCOL_INDEX] = 'tcp';
    values.splice(GRPC_STATUS_INDEX, 1); // the later index first
    values.splice(CODE_INDEX, 1);
    const rep = l.reporter === 'destination' ? 1 : 0;
    const [opened, closed, sent, received] = this.families.map((f, i): TcpCounter => {
      const plan = this.layouts?.[i]?.plans[rep];
      if (!plan) return f.labelsFrom(values);
      return plan.disabled ? DISABLED : f.labelsFrom(applyPlan(plan, values, NO_ATTRIBUTES));
    });
    return { opened: opened ?? DISABLED, closed: closed ?? DISABLED, sent: sent ?? DISABLED, received: received ?? DISABLED };
  }
}
