// Prometheus metrics: the one import for users of the registry.
//
//   const registry = new Registry();
//   const requests = registry.counter({ name: 'x_requests_total', help: '...', labelNames: ['code'] });
//   const ok = requests.labels('200');   // cached child; hold it on hot paths
//   ok.inc();
//   res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE).end(registry.render());

export { Registry } from './registry.js';
export type { Metric, RegistryOptions } from './registry.js';
export { Counter, CounterChild } from './counter.js';
export type { CounterOptions } from './counter.js';
export { Gauge, GaugeChild } from './gauge.js';
export type { GaugeOptions, GaugeSample } from './gauge.js';
export { Histogram, HistogramChild } from './histogram.js';
export type { HistogramOptions } from './histogram.js';
export { LABEL_KEY_SEPARATOR, MetricFamily, Series, labelKey } from './family.js';
export type { Clock, MetricOptions, MetricType, RemoveListener } from './family.js';
export type { CollectedSample } from './collect.js';
export { PROMETHEUS_CONTENT_TYPE, escapeHelp, escapeLabelValue, formatValue } from './exposition.js';
