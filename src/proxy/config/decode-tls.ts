// Transport sockets: DownstreamTlsContext on inbound filter chains matched by transport_protocol
// (Istio's mTLS chain + raw_buffer chain under PERMISSIVE), UpstreamTlsContext on clusters
// (transport_socket, transport_socket_matches) and the endpoint metadata that selects them.
// Certificates come from SDS secrets "default" / "ROOTCA" over ADS (the proxy's IdentityProvider)
// or, for DestinationRule SIMPLE/MUTUAL, from files. Every other field is rejected by name.
import { arr, bool, ConfigRejection, obj, only, str, type J } from './check.js';
import { DOWNSTREAM_TLS_TYPE_URL, RAW_BUFFER_TRANSPORT_SOCKET, RAW_BUFFER_TYPE_URL, TLS_TRANSPORT_SOCKET, UPSTREAM_TLS_TYPE_URL } from '../../xds/network-filters.js';
import type { SanMatcher } from '../security/spiffe-verify.js';
import { SDS_CERT, SDS_ROOT, type ClusterTransport, type DownstreamTls, type InboundTlsConfig, type UpstreamTls } from '../security/tls-config.js';

export const TRANSPORT_SOCKET_MATCH_KEY = 'envoy.transport_socket_match';
export const CLUSTER_TLS_FIELDS = ['transport_socket', 'transport_socket_matches'];

function sdsSecret(v: unknown, path: string, want: string): void {
  const s = obj(v, path);
  only(s, path, ['name', 'sds_config']);
  const name = str(s.name, `${path}.name`);
  if (name !== want) throw new ConfigRejection(`${path}.name`, `only the SDS secret "${want}" (the workload identity) is supported here, got "${name}"`);
  const cs = obj(s.sds_config, `${path}.sds_config`);
  only(cs, `${path}.sds_config`, ['ads', 'resource_api_version']);
  if (cs.ads === undefined) throw new ConfigRejection(`${path}.sds_config`, 'only ADS config sources are supported');
}

function sanMatchers(v: unknown, path: string): SanMatcher[] {
  return arr(v, path).map((m, i) => {
    const mp = `${path}[${i}]`;
    const mo = obj(m, mp);
    only(mo, mp, ['exact', 'prefix']);
    if (mo.exact !== undefined) return { kind: 'exact', value: str(mo.exact, `${mp}.exact`) };
    if (mo.prefix !== undefined) return { kind: 'prefix', value: str(mo.prefix, `${mp}.prefix`) };
    throw new ConfigRejection(mp, 'expected exact or prefix');
  });
}

function filename(v: unknown, path: string): string {
  const o = obj(v, path);
  only(o, path, ['filename']);
  return str(o.filename, `${path}.filename`);
}

interface CommonTls {
  alpn: string[];
  identity: UpstreamTls['identity'];
  trust: UpstreamTls['trust'];
  sanMatchers: SanMatcher[];
}

function decodeCommon(v: unknown, path: string): CommonTls {
  const c = v === undefined ? {} : obj(v, path);
  only(c, path, ['alpn_protocols', 'tls_certificate_sds_secret_configs', 'combined_validation_context', 'tls_certificates', 'validation_context']);
  const alpn = arr(c.alpn_protocols, `${path}.alpn_protocols`).map((a, i) => str(a, `${path}.alpn_protocols[${i}]`));
  let identity: UpstreamTls['identity'] = null;
  const sds = arr(c.tls_certificate_sds_secret_configs, `${path}.tls_certificate_sds_secret_configs`);
  if (sds.length > 1) throw new ConfigRejection(`${path}.tls_certificate_sds_secret_configs`, 'at most one certificate is supported');
  if (sds.length === 1) {
    sdsSecret(sds[0], `${path}.tls_certificate_sds_secret_configs[0]`, SDS_CERT);
    identity = { kind: 'sds' };
  }
  const files = arr(c.tls_certificates, `${path}.tls_certificates`);
  if (files.length > 1 || (files.length === 1 && identity)) throw new ConfigRejection(`${path}.tls_certificates`, 'at most one certificate is supported');
  if (files.length === 1) {
    const fp = `${path}.tls_certificates[0]`;
    const f = obj(files[0], fp);
    only(f, fp, ['certificate_chain', 'private_key']);
    identity = { kind: 'files', certFile: filename(f.certificate_chain, `${fp}.certificate_chain`), keyFile: filename(f.private_key, `${fp}.private_key`) };
  }
  let trust: UpstreamTls['trust'] = null;
  let matchers: SanMatcher[] = [];
  if (c.combined_validation_context !== undefined) {
    const vp = `${path}.combined_validation_context`;
    const v = obj(c.combined_validation_context, vp);
    only(v, vp, ['default_validation_context', 'validation_context_sds_secret_config']);
    if (v.default_validation_context !== undefined) {
      const dp = `${vp}.default_validation_context`;
      const d = obj(v.default_validation_context, dp);
      only(d, dp, ['match_subject_alt_names']);
      matchers = sanMatchers(d.match_subject_alt_names, `${dp}.match_subject_alt_names`);
    }
    sdsSecret(v.validation_context_sds_secret_config, `${vp}.validation_context_sds_secret_config`, SDS_ROOT);
    trust = { kind: 'sds' };
  } else if (c.validation_context !== undefined) {
    const vp = `${path}.validation_context`;
    const v = obj(c.validation_context, vp);
    only(v, vp, ['trusted_ca', 'match_subject_alt_names']);
    matchers = sanMatchers(v.match_subject_alt_names, `${vp}.match_subject_alt_names`);
    if (v.trusted_ca !== undefined) trust = { kind: 'file', caFile: filename(v.trusted_ca, `${vp}.trusted_ca`) };
    else if (matchers.length > 0) throw new ConfigRejection(`${vp}.match_subject_alt_names`, 'needs trusted_ca');
  }
  return { alpn, identity, trust, sanMatchers: matchers };
}

/** A transport_socket: the TLS one (with the context type `typeUrl`) or raw_buffer (null). */
function transportSocket(v: unknown, path: string, typeUrl: string): { tc: J; tcPath: string } | null {
  const ts = obj(v, path);
  only(ts, path, ['name', 'typed_config']);
  const tcPath = `${path}.typed_config`;
  const tc = ts.typed_config === undefined ? {} : obj(ts.typed_config, tcPath);
  if (ts.name === RAW_BUFFER_TRANSPORT_SOCKET || tc['@type'] === RAW_BUFFER_TYPE_URL) {
    only(tc, tcPath, ['@type']);
    return null;
  }
  if (tc['@type'] !== typeUrl) {
    throw new ConfigRejection(tcPath, `transport socket ${String(ts.name)} (${String(tc['@type'])}) is not supported; only ${TLS_TRANSPORT_SOCKET} (${typeUrl}) and raw_buffer`);
  }
  return { tc, tcPath };
}

export function decodeUpstreamTls(v: unknown, path: string): UpstreamTls | null {
  const t = transportSocket(v, path, UPSTREAM_TLS_TYPE_URL);
  if (!t) return null;
  only(t.tc, t.tcPath, ['@type', 'common_tls_context', 'sni']);
  const common = decodeCommon(t.tc.common_tls_context, `${t.tcPath}.common_tls_context`);
  const sni = t.tc.sni === undefined ? undefined : str(t.tc.sni, `${t.tcPath}.sni`);
  const { alpn, identity, trust, sanMatchers: m } = common;
  return { key: JSON.stringify([sni, alpn, identity, trust, m]), sni, alpn, identity, trust, sanMatchers: m };
}

/** A cluster's transport_socket and transport_socket_matches; undefined when it has neither. */
export function decodeClusterTransport(c: J, p: string): ClusterTransport | undefined {
  if (c.transport_socket === undefined && c.transport_socket_matches === undefined) return undefined;
  const socket = c.transport_socket === undefined ? null : decodeUpstreamTls(c.transport_socket, `${p}.transport_socket`);
  const matches = arr(c.transport_socket_matches, `${p}.transport_socket_matches`).map((m, i) => {
    const mp = `${p}.transport_socket_matches[${i}]`;
    const mo = obj(m, mp);
    only(mo, mp, ['name', 'match', 'transport_socket']);
    const match: Record<string, string> = {};
    const mm = mo.match === undefined ? {} : obj(mo.match, `${mp}.match`);
    for (const [k, val] of Object.entries(mm)) match[k] = str(val, `${mp}.match.${k}`);
    return { name: typeof mo.name === 'string' ? mo.name : '', match, tls: decodeUpstreamTls(mo.transport_socket, `${mp}.transport_socket`) };
  });
  return { matches, socket };
}

/** An endpoint's metadata.filter_metadata["envoy.transport_socket_match"] (string values only). */
export function endpointTransportMatch(metadata: unknown): Record<string, string> | undefined {
  const fm = (metadata as J | undefined)?.filter_metadata as J | undefined;
  const m = fm?.[TRANSPORT_SOCKET_MATCH_KEY];
  if (typeof m !== 'object' || m === null) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m as J)) if (typeof v === 'string') out[k] = v;
  return out;
}

function decodeDownstreamTls(v: unknown, path: string): DownstreamTls {
  const t = transportSocket(v, path, DOWNSTREAM_TLS_TYPE_URL);
  if (!t) throw new ConfigRejection(path, 'a chain matched by transport_protocol "tls" needs the TLS transport socket');
  only(t.tc, t.tcPath, ['@type', 'common_tls_context', 'require_client_certificate']);
  const common = decodeCommon(t.tc.common_tls_context, `${t.tcPath}.common_tls_context`);
  if (common.identity?.kind !== 'sds') throw new ConfigRejection(`${t.tcPath}.common_tls_context.tls_certificate_sds_secret_configs`, `the server certificate must be the SDS secret "${SDS_CERT}"`);
  const require = bool(t.tc.require_client_certificate, `${t.tcPath}.require_client_certificate`, false);
  if (require && common.trust?.kind !== 'sds') {
    throw new ConfigRejection(`${t.tcPath}.common_tls_context.combined_validation_context`, `require_client_certificate needs the SDS trust bundle "${SDS_ROOT}"`);
  }
  return { requireClientCertificate: require, alpn: common.alpn, sanMatchers: common.sanMatchers };
}

/**
 * Inbound chains matched by transport protocol: one "tls" chain (DownstreamTlsContext, optional
 * application_protocols) and at most one "raw_buffer" chain, all running the same network filter.
 * Returns undefined when no chain uses transport_protocol/transport_socket (the caller decodes
 * the listener as before); else the TLS settings and one chain stripped to its filters.
 */
export function decodeInboundTlsChains(chains: unknown[], tlsInspector: boolean, p: string): { inboundTls: InboundTlsConfig; chain: J } | undefined {
  const uses = chains.some((c) => {
    const co = c as J | null;
    return typeof co === 'object' && co !== null && (co.transport_socket !== undefined || (co.filter_chain_match as J | undefined)?.transport_protocol !== undefined);
  });
  // Without tls_inspector nothing can be matched by transport: the generic decoder rejects the fields.
  if (!uses || !tlsInspector) return undefined;
  let tls: { d: DownstreamTls; apps: string[] } | undefined;
  let raw = false;
  let filters: string | undefined;
  let chain: J | undefined;
  chains.forEach((c, i) => {
    const cp = `${p}.filter_chains[${i}]`;
    const co = obj(c, cp);
    only(co, cp, ['name', 'filter_chain_match', 'transport_socket', 'filters']);
    const mp = `${cp}.filter_chain_match`;
    const m = obj(co.filter_chain_match, mp);
    only(m, mp, ['transport_protocol', 'application_protocols']);
    const proto = str(m.transport_protocol, `${mp}.transport_protocol`);
    const apps = arr(m.application_protocols, `${mp}.application_protocols`).map((a, j) => str(a, `${mp}.application_protocols[${j}]`));
    if (proto === 'tls') {
      if (tls) throw new ConfigRejection(mp, 'only one chain with transport_protocol "tls" is supported');
      tls = { d: decodeDownstreamTls(co.transport_socket, `${cp}.transport_socket`), apps };
    } else if (proto === 'raw_buffer') {
      if (raw) throw new ConfigRejection(mp, 'only one chain with transport_protocol "raw_buffer" is supported');
      if (apps.length > 0) throw new ConfigRejection(`${mp}.application_protocols`, 'not supported with raw_buffer');
      if (co.transport_socket !== undefined && transportSocket(co.transport_socket, `${cp}.transport_socket`, DOWNSTREAM_TLS_TYPE_URL) !== null) {
        throw new ConfigRejection(`${cp}.transport_socket`, 'a raw_buffer chain cannot terminate TLS');
      }
      raw = true;
    } else {
      throw new ConfigRejection(`${mp}.transport_protocol`, `expected "tls" or "raw_buffer", got "${proto}"`);
    }
    const f = JSON.stringify(co.filters);
    if (filters !== undefined && f !== filters) throw new ConfigRejection(`${cp}.filters`, 'every chain of a listener matched by transport_protocol must run the same filters');
    filters = f;
    chain = { filters: co.filters };
  });
  if (!tls || !chain) throw new ConfigRejection(`${p}.filter_chains`, 'chains matched by transport_protocol need one "tls" chain');
  const t: { d: DownstreamTls; apps: string[] } = tls;
  return { inboundTls: { tls: t.d, applicationProtocols: t.apps, allowPlaintext: raw }, chain };
}
