import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCluster, decodeEndpoints } from './decode-cluster.js';
import { decodeListener } from './decode-listener.js';
import { cla, edsCluster, lbEndpoint, listener, rejects, type J } from './decode-fixtures.js';
import { applyPeerAuthentication } from '../../control/translate/peer-authentication.js';
import { applyUpstreamTls } from '../../control/translate/upstream-tls.js';
import { selectTransport } from '../security/tls-config.js';

const P = 'listener 0.0.0.0_80';

function mtlsListener(mode: 'STRICT' | 'PERMISSIVE'): J {
  return applyPeerAuthentication(listener(), mode, 'cluster.local', false) as J;
}

test('inbound mTLS chains decode to the listener config the proxy serves', () => {
  const strict = decodeListener(mtlsListener('STRICT'));
  assert.deepEqual(strict.inboundTls, {
    tls: { requireClientCertificate: true, alpn: ['h2', 'http/1.1'], sanMatchers: [{ kind: 'prefix', value: 'spiffe://cluster.local/' }] },
    applicationProtocols: ['istio-peer-exchange', 'istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'],
    allowPlaintext: false,
  });
  assert.ok(strict.hcm.inlineRoutes ?? strict.hcm.rdsName);
  assert.equal(decodeListener(mtlsListener('PERMISSIVE')).inboundTls?.allowPlaintext, true);
  assert.equal(decodeListener(listener()).inboundTls, undefined);
});

test('inbound mTLS: unsupported settings are refused with their field path', () => {
  const l = mtlsListener('PERMISSIVE');
  const chains = l.filter_chains as J[];
  const tls = chains[0]!;
  const ts = tls.transport_socket as J;
  const tc = ts.typed_config as J;
  const ctx = tc.common_tls_context as J;
  const cp = `${P}.filter_chains[0].transport_socket.typed_config`;
  rejects(() => decodeListener({ ...l, filter_chains: [{ ...tls, transport_socket: { ...ts, typed_config: { ...tc, ocsp_staple_policy: 'STRICT_STAPLING' } } }, chains[1]] }), `${cp}.ocsp_staple_policy`);
  rejects(
    () => decodeListener({ ...l, filter_chains: [{ ...tls, transport_socket: { ...ts, typed_config: { ...tc, common_tls_context: { ...ctx, tls_certificate_sds_secret_configs: [{ name: 'other', sds_config: { ads: {} } }] } } } }, chains[1]] }),
    `${cp}.common_tls_context.tls_certificate_sds_secret_configs[0].name`,
  );
  rejects(() => decodeListener({ ...l, filter_chains: [{ ...tls, filter_chain_match: { transport_protocol: 'quic' } }, chains[1]] }), `${P}.filter_chains[0].filter_chain_match.transport_protocol`);
  rejects(() => decodeListener({ ...l, filter_chains: [tls, { ...chains[1], filters: [] }] }), `${P}.filter_chains[1].filters`, /same filters/);
});

test('cluster transport: auto mTLS matches select TLS per endpoint metadata; unknown sockets are refused', () => {
  const c = edsCluster('outbound|80||reviews.default.svc.cluster.local') as J;
  const svc = { origin: 'test', host: 'reviews.default.svc.cluster.local', name: 'reviews', namespace: 'default', ports: [], location: 'MESH_INTERNAL' as const, resolution: 'STATIC' as const,
    endpoints: [{ address: '10.0.0.1', ports: {}, labels: { 'security.istio.io/tlsMode': 'istio' }, serviceAccount: 'reviews', workload: 'reviews', namespace: 'default', weight: 1 }] };
  applyUpstreamTls(c, svc, 80, '', undefined, 'cluster.local');
  const cfg = decodeCluster(c);
  const withMeta = decodeEndpoints(cla('x', [{ ...lbEndpoint('10.0.0.1', 80), metadata: { filter_metadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } } }]), 'eds');
  const plain = decodeEndpoints(cla('x', [lbEndpoint('10.0.0.2', 80)]), 'eds');
  const tls = selectTransport(cfg.transport, withMeta[0]?.transportMatch);
  assert.equal(tls?.sni, 'outbound_.80_._.reviews.default.svc.cluster.local');
  assert.deepEqual(tls?.sanMatchers, [{ kind: 'exact', value: 'spiffe://cluster.local/ns/default/sa/reviews' }]);
  assert.deepEqual(tls?.identity, { kind: 'sds' });
  assert.equal(selectTransport(cfg.transport, plain[0]?.transportMatch), null);
  rejects(() => decodeCluster({ ...c, transport_socket: { name: 'envoy.transport_sockets.alts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.alts.v3.Alts' } } }), `cluster ${String(c.name)}.transport_socket.typed_config`, /not supported/);
});
