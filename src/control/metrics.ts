// The control plane's own metrics, named as Istio's pilot names them, plus the one Istio lacks:
// end-to-end propagation from a config change event to the last ACK of the affected proxies.
import { Registry } from '../telemetry/prom.js';
import { registerProcessMetrics } from '../telemetry/process-metrics.js';

const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];

export class ControlMetrics {
  readonly registry = new Registry();
  readonly debounceTime = this.registry.histogram({
    name: 'pilot_debounce_time',
    help: 'Delay in seconds between the first config change of a burst and the debounce firing.',
    buckets: SECONDS,
  });
  readonly proxyQueueTime = this.registry.histogram({
    name: 'pilot_proxy_queue_time',
    help: 'Time in seconds a proxy waits in the push queue before its push starts.',
    buckets: SECONDS,
  });
  readonly pushTime = this.registry.histogram({
    name: 'pilot_xds_push_time',
    help: 'Time in seconds to translate and send one xDS type to one proxy.',
    labelNames: ['type'],
    buckets: SECONDS,
  });
  readonly convergenceTime = this.registry.histogram({
    name: 'pilot_proxy_convergence_time',
    help: 'Delay in seconds between a config change and a proxy having been sent all of it.',
    buckets: SECONDS,
  });
  readonly propagationTime = this.registry.histogram({
    name: 'weft_config_propagation_seconds',
    help: 'End to end: from the config change event at its source to the last ACK of every affected proxy.',
    buckets: SECONDS,
  });
  readonly pushes = this.registry.counter({
    name: 'pilot_xds_pushes',
    help: 'xDS responses sent, by type.',
    labelNames: ['type'],
  });
  readonly rejects = this.registry.counter({
    name: 'pilot_total_xds_rejects',
    help: 'xDS responses NACKed by proxies, by type.',
    labelNames: ['type'],
  });
  readonly configErrors = this.registry.counter({
    name: 'weft_config_errors_total',
    help: 'Config validation errors (one per problem found) in watched files and apply requests.',
  });

  /** Process metrics (CPU, memory, event-loop lag); stop() ends their event-loop monitor. */
  readonly process = registerProcessMetrics(this.registry);

  constructor(connectedProxies: () => number, snapshotVersion: () => number) {
    this.registry.gauge({
      name: 'pilot_xds',
      help: 'Number of proxies connected to this control plane over ADS.',
      collect: () => [{ labels: [], value: connectedProxies() }],
    });
    this.registry.gauge({
      name: 'weft_snapshot_version',
      help: 'Version of the config snapshot currently being served.',
      collect: () => [{ labels: [], value: snapshotVersion() }],
    });
  }
}
