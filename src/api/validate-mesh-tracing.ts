// meshConfig tracing defaults: `enableTracing` (Istio's, default true) and
// `defaultConfig.tracing.sampling` (Istio's ProxyConfig mesh-wide sampling percent; a Telemetry
// `randomSamplingPercentage` overrides it). defaultConfig is Istio's ProxyConfig: its other
// fields (bootstrap and deployment settings) are accepted with a warning and ignored.
import type { MeshDefaultConfig } from './types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';

export const MESH_TRACING_FIELDS = ['enableTracing', 'defaultConfig'];

const PROXY_CONFIG: FieldSet = {
  supported: ['tracing'],
  notYet: [
    'configPath', 'binaryPath', 'serviceCluster', 'drainDuration', 'parentShutdownDuration', 'discoveryAddress',
    'zipkinAddress', 'statsdUdpAddress', 'proxyAdminPort', 'controlPlaneAuthPolicy', 'customConfigFile',
    'statNameLength', 'concurrency', 'proxyBootstrapTemplatePath', 'interceptionMode', 'sds',
    'envoyAccessLogService', 'envoyMetricsService', 'proxyMetadata', 'runtimeValues', 'statusPort',
    'extraStatTags', 'gatewayTopology', 'terminationDrainDuration', 'meshId', 'readinessProbe',
    'proxyStatsMatcher', 'holdApplicationUntilProxyStarts', 'caCertificatesPem', 'image',
    'privateKeyProvider', 'proxyHeaders', 'fileFlushInterval', 'fileFlushMinSizeKb', 'availabilityZone',
  ],
};
const PROXY_TRACING: FieldSet = {
  supported: ['sampling'],
  notYet: ['zipkin', 'lightstep', 'datadog', 'stackdriver', 'openCensusAgent', 'customTags', 'maxPathTagLength', 'tlsSettings', 'enableIstioTags'],
};

export interface MeshTracingSpec {
  enableTracing?: boolean;
  defaultConfig?: MeshDefaultConfig;
}

/** A tracing sampling percentage: a number in [0, 100] (Istio's precision is 0.01). */
export function readSamplingPercent(f: Field): number | undefined {
  if (!f.present) return undefined;
  if (typeof f.value !== 'number' || !(f.value >= 0 && f.value <= 100)) {
    f.mismatch('a number 0..100');
    return undefined;
  }
  return f.value;
}

export function readMeshTracing(f: Field): MeshTracingSpec {
  const enableTracing = f.get('enableTracing').bool();
  const defaultConfig = f.get('defaultConfig').ifPresent((d): MeshDefaultConfig => {
    d.object(PROXY_CONFIG);
    const tracing = d.get('tracing').ifPresent((t) => {
      t.object(PROXY_TRACING);
      return compact({ sampling: readSamplingPercent(t.get('sampling')) });
    });
    return compact({ tracing });
  });
  return compact({ enableTracing, defaultConfig });
}
