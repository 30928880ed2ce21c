// HCM request_id_extension (envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig) and Envoy's
// request-id based sampling. With use_request_id_for_trace_sampling (Envoy's and Istio's default:
// true, also when the extension is absent) a request without a caller's sampling decision is
// sampled when `hex(last 8 hex digits of x-request-id) % 10000 < percent × 100`, so every hop
// that sees the same x-request-id makes the same decision; otherwise the decision is random.
// pack_trace_reason (rewriting x-request-id to carry the decision) is not implemented: only
// `false` is accepted.
import { ConfigRejection, obj, only, type J } from '../../config/check.js';

export const UUID_REQUEST_ID_TYPE_URL = 'type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig';

function boolValue(v: unknown, path: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  // BoolValue in Envoy JSON is a plain boolean; protobufjs may give {value}
  const b = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as J).value ?? false : v;
  if (typeof b !== 'boolean') throw new ConfigRejection(path, 'expected a boolean');
  return b;
}

/** Whether sampling uses x-request-id; absent extension: true (Envoy's default). */
export function decodeRequestIdExtension(v: unknown, path: string): boolean {
  if (v === undefined) return true;
  const ext = obj(v, path);
  only(ext, path, ['typed_config']);
  const tc = obj(ext.typed_config, `${path}.typed_config`);
  if (tc['@type'] !== UUID_REQUEST_ID_TYPE_URL) throw new ConfigRejection(`${path}.typed_config`, `only ${UUID_REQUEST_ID_TYPE_URL} is supported, got ${String(tc['@type'])}`);
  only(tc, `${path}.typed_config`, ['@type', 'pack_trace_reason', 'use_request_id_for_trace_sampling']);
  if (boolValue(tc.pack_trace_reason, `${path}.typed_config.pack_trace_reason`, false)) {
    throw new ConfigRejection(`${path}.typed_config.pack_trace_reason`, 'only false is supported (x-request-id is never rewritten)');
  }
  return boolValue(tc.use_request_id_for_trace_sampling, `${path}.typed_config.use_request_id_for_trace_sampling`, true);
}

/** Envoy's decision from a request id (UUID form, 36 chars); undefined when the id cannot decide. */
export function sampledByRequestId(requestId: string, percent: number): boolean | undefined {
  if (requestId.length < 36) return undefined;
  // The last 8 hex digits of the UUID (characters 28..35), read without allocating.
  let n = 0;
  for (let i = 28; i < 36; i++) {
    const c = requestId.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return undefined;
    n = n * 16 + d;
  }
  return n % 10000 < Math.round(percent * 100);
}
