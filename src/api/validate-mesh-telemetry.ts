// meshConfig telemetry fields: accessLogFile, accessLogEncoding, accessLogFormat,
// extensionProviders (envoyFileAccessLog; prometheus) and defaultProviders. Off by default, as Istio.
import { jsonFormatProblem, textFormatProblem } from '../proxy/telemetry/access-log/format.js';
import type { DefaultProviders, ExtensionProvider } from './telemetry-types.js';
import { checkUnique, compact, isPlainMap, type Field, type FieldSet } from './validate-common.js';
import { readTracingProviders } from './validate-tracing-providers.js';

export const MESH_TELEMETRY_FIELDS = ['accessLogFile', 'accessLogEncoding', 'accessLogFormat', 'extensionProviders', 'defaultProviders'];

/** Provider kinds Istio has that Weft does not implement yet (warned about, then ignored). */
const OTHER_PROVIDERS = [
  'envoyOtelAls', 'envoyHttpAls', 'envoyTcpAls', 'datadog', 'stackdriver', 'skywalking',
  'lightstep', 'opencensus', 'envoyExtAuthzHttp', 'envoyExtAuthzGrpc', 'sds',
];
const PROVIDER: FieldSet = { supported: ['name', 'envoyFileAccessLog', 'prometheus', 'zipkin', 'opentelemetry'], notYet: OTHER_PROVIDERS };
const FILE_LOG: FieldSet = { supported: ['path', 'logFormat'] };
const LOG_FORMAT: FieldSet = { supported: ['text', 'labels'] };
const DEFAULTS: FieldSet = { supported: ['accessLogging', 'metrics', 'tracing'] };

export interface MeshTelemetrySpec {
  accessLogFile?: string;
  accessLogEncoding?: 'TEXT' | 'JSON';
  accessLogFormat?: string;
  extensionProviders?: ExtensionProvider[];
  defaultProviders?: DefaultProviders;
}

/** The meshConfig JSON access-log format (accessLogEncoding JSON): a JSON object of labels. */
export function parseJsonLogFormat(text: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `with accessLogEncoding JSON, accessLogFormat must be a JSON object: ${(e as Error).message}`;
  }
  if (!isPlainMap(v)) return 'with accessLogEncoding JSON, accessLogFormat must be a JSON object';
  return v;
}

export function readMeshTelemetry(f: Field): MeshTelemetrySpec {
  const accessLogFile = f.get('accessLogFile').string();
  const accessLogEncoding = f.get('accessLogEncoding').oneOf(['TEXT', 'JSON'] as const);
  const formatF = f.get('accessLogFormat');
  const accessLogFormat = formatF.string();
  if (accessLogFormat) {
    if (accessLogEncoding === 'JSON') {
      const parsed = parseJsonLogFormat(accessLogFormat);
      const problem = typeof parsed === 'string' ? parsed : jsonFormatProblem(parsed);
      if (problem !== undefined) formatF.error(problem);
    } else {
      const problem = textFormatProblem(accessLogFormat);
      if (problem !== undefined) formatF.error(problem);
    }
  }
  const listF = f.get('extensionProviders');
  const extensionProviders = listF.ifPresent((l) => l.list(readProvider));
  if (extensionProviders) checkUnique(listF, extensionProviders, 'name', (p) => p.name, 'provider name');
  const defaultProviders = f.get('defaultProviders').ifPresent((d): DefaultProviders => {
    d.object(DEFAULTS);
    return compact({
      accessLogging: d.get('accessLogging').ifPresent((x) => x.stringList()),
      metrics: d.get('metrics').ifPresent((x) => x.stringList()),
      tracing: d.get('tracing').ifPresent((x) => x.stringList()),
    });
  });
  return compact({ accessLogFile, accessLogEncoding, accessLogFormat, extensionProviders, defaultProviders });
}

function readProvider(f: Field): ExtensionProvider {
  f.object(PROVIDER, { required: true });
  const name = f.get('name').string({ required: true });
  const kinds = [...PROVIDER.supported, ...OTHER_PROVIDERS].filter((k) => k !== 'name' && isPlainMap(f.value) && f.value[k] !== undefined);
  if (isPlainMap(f.value) && kinds.length !== 1) f.error(`expected exactly one provider kind (envoyFileAccessLog, prometheus, ...), got ${kinds.length === 0 ? 'none' : kinds.join(', ')}`);
  const envoyFileAccessLog = f.get('envoyFileAccessLog').ifPresent((fl) => {
    fl.object(FILE_LOG);
    const path = fl.get('path').string({ required: true });
    const logFormat = fl.get('logFormat').ifPresent((lf) => {
      lf.object(LOG_FORMAT);
      const text = lf.get('text').string();
      const labelsF = lf.get('labels');
      const labels = labelsF.ifPresent((l) => l.map((v) => v.value, { what: 'a map of JSON log labels' }));
      if (text !== undefined && labels !== undefined) lf.error('set either text or labels, not both');
      if (text !== undefined) {
        const problem = textFormatProblem(text);
        if (problem !== undefined) lf.get('text').error(problem);
      }
      if (labels !== undefined) {
        const problem = jsonFormatProblem(labels);
        if (problem !== undefined) labelsF.error(problem);
      }
      return compact({ text, labels });
    });
    return compact({ path, logFormat });
  });
  const { zipkin, opentelemetry } = readTracingProviders(f);
  return compact({ name, envoyFileAccessLog, zipkin, opentelemetry });
}

