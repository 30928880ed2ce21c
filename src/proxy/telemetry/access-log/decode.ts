// xDS `access_log` (HTTP connection manager and tcp_proxy) → compiled loggers. Only the file
// logger (envoy.access_loggers.file) with text or JSON formats and the CEL extension filter are
// implemented; any other field or logger is rejected with its path (NACK).
import { celProblem, compileCel, type CelProgram } from '../../../cel/cel.js';
import { arr, ConfigRejection, obj, only, str } from '../../config/check.js';
import { compileJsonFormat, compileTextFormat, type Formatter } from './format.js';
import { CEL_FILTER_TYPE_URL, FILE_ACCESS_LOG_NAME, FILE_ACCESS_LOG_TYPE_URL } from '../../../xds/telemetry-filters.js';


/** Envoy's own default format, used when a file logger has no log_format. */
export const ENVOY_DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

export interface AccessLogger {
  /** File path; "/dev/stdout" is the process's standard output. */
  path: string;
  format: Formatter;
  /** Only requests for which this is true are logged; absent: all. */
  filter?: CelProgram;
}

/** Decodes a listener filter's `access_log` list; undefined when absent or empty. */
export function decodeAccessLogs(v: unknown, path: string): AccessLogger[] | undefined {
  if (v === undefined) return undefined;
  const list = arr(v, path).map((item, i) => decodeAccessLog(item, `${path}[${i}]`));
  return list.length > 0 ? list : undefined;
}

function decodeAccessLog(v: unknown, p: string): AccessLogger {
  const o = obj(v, p);
  only(o, p, ['name', 'typed_config', 'filter']);
  const tc = obj(o.typed_config, `${p}.typed_config`);
  if (tc['@type'] !== FILE_ACCESS_LOG_TYPE_URL) {
    throw new ConfigRejection(`${p}.typed_config`, `access logger ${String(o.name)} (${String(tc['@type'])}) is not supported; only ${FILE_ACCESS_LOG_NAME}`);
  }
  const tp = `${p}.typed_config`;
  only(tc, tp, ['@type', 'path', 'log_format']);
  const filePath = str(tc.path, `${tp}.path`);
  if (filePath === '') throw new ConfigRejection(`${tp}.path`, 'expected a file path');
  const logger: AccessLogger = { path: filePath, format: decodeLogFormat(tc.log_format, `${tp}.log_format`) };
  if (o.filter !== undefined) logger.filter = decodeFilter(o.filter, `${p}.filter`);
  return logger;
}

function decodeLogFormat(v: unknown, p: string): Formatter {
  if (v === undefined) return compileTextFormat(ENVOY_DEFAULT_FORMAT);
  const lf = obj(v, p);
  only(lf, p, ['text_format_source', 'json_format', 'text_format']);
  const n = ['text_format_source', 'json_format', 'text_format'].filter((k) => lf[k] !== undefined).length;
  if (n !== 1) throw new ConfigRejection(p, 'needs exactly one of text_format_source, text_format or json_format');
  try {
    if (lf.json_format !== undefined) return compileJsonFormat(obj(lf.json_format, `${p}.json_format`));
    if (lf.text_format !== undefined) return compileTextFormat(str(lf.text_format, `${p}.text_format`));
    const src = obj(lf.text_format_source, `${p}.text_format_source`);
    only(src, `${p}.text_format_source`, ['inline_string']);
    return compileTextFormat(str(src.inline_string, `${p}.text_format_source.inline_string`));
  } catch (e) {
    if (e instanceof ConfigRejection) throw e;
    throw new ConfigRejection(p, (e as Error).message);
  }
}

function decodeFilter(v: unknown, p: string): CelProgram {
  const f = obj(v, p);
  only(f, p, ['extension_filter']);
  const ep = `${p}.extension_filter`;
  const ef = obj(f.extension_filter, ep);
  only(ef, ep, ['name', 'typed_config']);
  const tc = obj(ef.typed_config, `${ep}.typed_config`);
  if (tc['@type'] !== CEL_FILTER_TYPE_URL) throw new ConfigRejection(`${ep}.typed_config`, `only the CEL filter (${CEL_FILTER_TYPE_URL}) is supported`);
  only(tc, `${ep}.typed_config`, ['@type', 'expression']);
  const expr = str(tc.expression, `${ep}.typed_config.expression`);
  const problem = celProblem(expr);
  if (problem !== undefined) throw new ConfigRejection(`${ep}.typed_config.expression`, problem);
  return compileCel(expr);
}
