// Type URLs and names of the telemetry config Weft emits in listeners and the proxy accepts:
// Envoy's file access logger and CEL access-log filter, and Weft's stats (metric overrides)
// filter carried in a TypedStruct as Istio carries its stats plugin config.
export const FILE_ACCESS_LOG_NAME = 'envoy.access_loggers.file';
export const FILE_ACCESS_LOG_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
export const CEL_FILTER_NAME = 'envoy.access_loggers.extension_filters.cel';
export const CEL_FILTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter';

export const TYPED_STRUCT_TYPE_URL = 'type.googleapis.com/xds.type.v3.TypedStruct';
export const STATS_FILTER_NAME = 'istio.stats';
export const STATS_CONFIG_TYPE_URL = 'type.weft.dev/weft.telemetry.v1.Stats';
