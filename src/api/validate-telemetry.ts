// Telemetry (telemetry.istio.io/v1, v1alpha1): access logging, metric overrides and tracing
// settings for the mesh (root namespace), a namespace, or workloads by selector.
import { celProblem } from '../cel/cel.js';
import { ISTIO_METRICS, type AccessLogging, type Metrics, type MetricsOverrides, type ProviderRef, type TagOverride, type TelemetrySpec, type Tracing, type WorkloadMode } from './telemetry-types.js';
import { compact, readLabels, type Field, type FieldSet } from './validate-common.js';
import { readCustomTag } from './validate-custom-tags.js';
import { readSamplingPercent } from './validate-mesh-tracing.js';

const SPEC: FieldSet = { supported: ['selector', 'accessLogging', 'metrics', 'tracing', 'targetRef', 'targetRefs'] };
const SELECTOR: FieldSet = { supported: ['matchLabels'] };
const ACCESS_LOGGING: FieldSet = { supported: ['providers', 'disabled', 'filter', 'match'] };
const PROVIDER: FieldSet = { supported: ['name'] };
const FILTER: FieldSet = { supported: ['expression'] };
const MODE_MATCH: FieldSet = { supported: ['mode'] };
const METRICS: FieldSet = { supported: ['providers', 'overrides'], notYet: ['reportingInterval'] };
const OVERRIDE: FieldSet = { supported: ['match', 'disabled', 'tagOverrides'] };
const METRIC_SELECTOR: FieldSet = { supported: ['metric', 'customMetric', 'mode'] };
const TAG_OVERRIDE: FieldSet = { supported: ['operation', 'value'] };
const TRACING: FieldSet = {
  supported: ['providers', 'randomSamplingPercentage', 'disableSpanReporting', 'match', 'customTags', 'useRequestIdForTraceSampling'],
  notYet: ['enableIstioTags', 'disableContextPropagation'],
};

const MODES: readonly WorkloadMode[] = ['CLIENT_AND_SERVER', 'CLIENT', 'SERVER'];
/** Metrics the proxy can override (HTTP and TCP); the gRPC message ones are warned about. */
export const OVERRIDABLE_METRICS = [
  'ALL_METRICS', 'REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE',
  'TCP_OPENED_CONNECTIONS', 'TCP_CLOSED_CONNECTIONS', 'TCP_SENT_BYTES', 'TCP_RECEIVED_BYTES',
];
/** customMetric names the proxy has (Istio's names without "istio_"). */
export const CUSTOM_METRIC_NAMES = [
  'requests_total', 'request_duration_milliseconds', 'request_bytes', 'response_bytes',
  'tcp_connections_opened_total', 'tcp_connections_closed_total', 'tcp_sent_bytes_total', 'tcp_received_bytes_total',
];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function validateTelemetrySpec(f: Field): TelemetrySpec {
  f.object(SPEC, { required: true });
  for (const k of ['targetRef', 'targetRefs']) {
    const t = f.get(k);
    if (t.present) t.error(`not supported: Weft has no Gateway API policy attachment; select workloads with spec.selector.matchLabels`);
  }
  const sel = f.get('selector');
  const selector = sel.ifPresent((s) => {
    s.object(SELECTOR);
    return { matchLabels: readLabels(s.get('matchLabels'), { required: true }) };
  });
  return compact({
    selector,
    accessLogging: f.get('accessLogging').list(readAccessLogging),
    metrics: f.get('metrics').list(readMetrics),
    tracing: f.get('tracing').list(readTracing),
  });
}

function readProviders(f: Field): ProviderRef[] {
  return f.list((p) => {
    p.object(PROVIDER, { required: true });
    return { name: p.get('name').string({ required: true }) };
  });
}

function readMode(f: Field): { mode: WorkloadMode } | undefined {
  return f.ifPresent((m) => {
    m.object(MODE_MATCH);
    return { mode: m.get('mode').oneOf(MODES, { default: 'CLIENT_AND_SERVER' }) };
  });
}

function readAccessLogging(f: Field): AccessLogging {
  f.object(ACCESS_LOGGING, { required: true });
  const filter = f.get('filter').ifPresent((ff) => {
    ff.object(FILTER);
    const e = ff.get('expression');
    const expression = e.string({ required: true });
    const problem = expression === '' ? undefined : celProblem(expression);
    if (problem !== undefined) e.error(`unsupported CEL expression: ${problem}`);
    return { expression };
  });
  return compact({
    providers: readProviders(f.get('providers')),
    disabled: f.get('disabled').bool(),
    filter,
    match: readMode(f.get('match')),
  });
}

function readMetrics(f: Field): Metrics {
  f.object(METRICS, { required: true });
  const providers = readProviders(f.get('providers'));
  providers.forEach((p, i) => {
    if (p.name !== 'prometheus') f.get('providers').at(i).get('name').warn(`ignored: only the built-in "prometheus" metrics provider is supported, got "${p.name}"`);
  });
  return { providers, overrides: f.get('overrides').list(readOverride) };
}

function readOverride(f: Field): MetricsOverrides {
  f.object(OVERRIDE, { required: true });
  const match = f.get('match').ifPresent((m) => {
    m.object(METRIC_SELECTOR);
    const metricF = m.get('metric');
    const metric = metricF.oneOf(ISTIO_METRICS);
    const customF = m.get('customMetric');
    const customMetric = customF.string();
    if (metric !== undefined && customMetric !== undefined) m.error('set either metric or customMetric, not both');
    if (metric !== undefined && !OVERRIDABLE_METRICS.includes(metric)) {
      metricF.warn(`ignored: overrides for ${metric} are not supported yet (only ${OVERRIDABLE_METRICS.join(', ')})`);
    }
    if (customMetric !== undefined && !CUSTOM_METRIC_NAMES.includes(customMetric)) {
      customF.warn(`ignored: the proxy has no metric "${customMetric}" (overridable: ${CUSTOM_METRIC_NAMES.join(', ')})`);
    }
    return compact({ metric, customMetric, mode: m.get('mode').oneOf(MODES, { default: 'CLIENT_AND_SERVER' }) });
  });
  const tagOverrides = f.get('tagOverrides').map((t, tag): TagOverride => {
    if (!LABEL_NAME.test(tag)) t.error(`tag names must be Prometheus label names ([a-zA-Z_][a-zA-Z0-9_]*), got ${JSON.stringify(tag)}`);
    t.object(TAG_OVERRIDE, { required: true });
    const operation = t.get('operation').oneOf(['UPSERT', 'REMOVE'] as const, { default: 'UPSERT' });
    const vf = t.get('value');
    const value = vf.string();
    if (operation === 'UPSERT') {
      if (value === undefined || value === '') vf.error('required for UPSERT: a CEL expression such as "\'literal\'" or "request.headers[\'x-user\']"');
      else {
        const problem = celProblem(value);
        if (problem !== undefined) vf.error(`unsupported CEL expression: ${problem}`);
      }
    } else if (value !== undefined) vf.error('REMOVE takes no value');
    return compact({ operation, value });
  });
  return compact({ match, disabled: f.get('disabled').bool(), tagOverrides });
}

function readTracing(f: Field): Tracing {
  f.object(TRACING, { required: true });
  const randomSamplingPercentage = readSamplingPercent(f.get('randomSamplingPercentage'));
  const customTags = f.get('customTags').map(readCustomTag);
  return compact({
    providers: readProviders(f.get('providers')),
    randomSamplingPercentage,
    disableSpanReporting: f.get('disableSpanReporting').bool(),
    customTags,
    match: readMode(f.get('match')),
    useRequestIdForTraceSampling: f.get('useRequestIdForTraceSampling').bool(),
  });
}
