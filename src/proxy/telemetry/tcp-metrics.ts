// Istio's standard TCP metrics: istio_tcp_connections_opened_total, istio_tcp_connections_closed_total,
// istio_tcp_sent_bytes_total (upstream → downstream) and istio_tcp_received_bytes_total
// (downstream → upstream). Labels are Istio's HTTP set without response_code; request_protocol
// is "tcp". Resolved once per connection (not per chunk): the connection holds its series.
import type { Counter, CounterChild, Registry } from '../../telemetry/prom.js';
import { ISTIO_LABEL_NAMES, resolveIstioLabels, type RequestRecord } from './istio-metrics.js';

const CODE_INDEX = ISTIO_LABEL_NAMES.indexOf('response_code');
const PROTOCOL_INDEX = ISTIO_LABEL_NAMES.indexOf('request_protocol');
const GRPC_STATUS_INDEX = ISTIO_LABEL_NAMES.indexOf('grpc_response_status');
export const TCP_LABEL_NAMES = ISTIO_LABEL_NAMES.filter((n) => n !== 'response_code' && n !== 'grpc_response_status');

export type TcpConnectionLabels = Pick<RequestRecord, 'reporter' | 'source' | 'destination' | 'destinationService' | 'responseFlags' | 'connectionSecurityPolicy'>;

export interface TcpSeries {
  opened: CounterChild;
  closed: CounterChild;
  sent: CounterChild;
  received: CounterChild;
}

export class TcpMetrics {
  private readonly opened: Counter;
  private readonly closed: Counter;
  private readonly sent: Counter;
  private readonly received: Counter;

  constructor(registry: Registry) {
    const labelNames = TCP_LABEL_NAMES;
    this.opened = registry.counter({ name: 'istio_tcp_connections_opened_total', help: 'TCP connections opened.', labelNames });
    this.closed = registry.counter({ name: 'istio_tcp_connections_closed_total', help: 'TCP connections closed.', labelNames });
    this.sent = registry.counter({ name: 'istio_tcp_sent_bytes_total', help: 'Bytes sent to the downstream (response direction).', labelNames });
    this.received = registry.counter({ name: 'istio_tcp_received_bytes_total', help: 'Bytes received from the downstream (request direction).', labelNames });
  }

  /** The four series of one connection's label set. */
  series(l: TcpConnectionLabels): TcpSeries {
    const values = resolveIstioLabels({ ...l, requestProtocol: 'http', responseCode: 0, durationMs: 0, requestBytes: 0, responseBytes: 0 });
    values[PROTOCOL_INDEX] = 'tcp';
    values.splice(GRPC_STATUS_INDEX, 1); // the later index first
    values.splice(CODE_INDEX, 1);
    return {
      opened: this.opened.labelsFrom(values),
      closed: this.closed.labelsFrom(values),
      sent: this.sent.labelsFrom(values),
      received: this.received.labelsFrom(values),
    };
  }
}
