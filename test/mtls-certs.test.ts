// Certificates a mesh must refuse, against the real proxy on both sides of a connection:
//   - the server side: the test connects to a real sidecar's inbound mTLS listener presenting
//     each bad client certificate (expired, not yet valid, wrong CA, two URI SANs, CA=true leaf,
//     a NUL byte in the URI SAN, a wrong trust domain, the SPIFFE ID as a DNS SAN): no request
//     reaches the app; the good certificate gets through;
//   - the client side: a real client sidecar calls a test TLS server (standing in for a
//     sidecar) that presents each bad server certificate: the request fails with 503 UF and a
//     transport failure reason naming the problem.
// Also DestinationRule SIMPLE and MUTUAL origination to a TLS server the test runs (CA file, SNI,
// client certificate files).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { writeConfig } from './harness/config.js';
import { startControlPlane, startProxy, startUpstream, stopAll, tempDir, waitFor, type ControlPlaneHandle, type ProxyHandle } from './harness/processes.js';
import { httpGet, viaSidecar } from './harness/http.js';
import { badCertificates, issueLeaf, makeCa, workloadSvid, writeIdentityDir, type TestCa, type TestLeaf } from './harness/certs.js';
import { configDump } from './harness/mtls-mesh.js';

const SUBNET = '127.0.47';
const ip = (n: number): string => `${SUBNET}.${n}`;
const PAYMENTS = 'payments.default.svc.cluster.local';
const EXTERNAL = 'api.external.test';

const CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: reviews, namespace: default}
spec:
  service: reviews
  serviceAccount: reviews
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec:
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments, namespace: default}
spec:
  hosts: [${PAYMENTS}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
  - {address: ${ip(21)}, labels: {app: payments, security.istio.io/tlsMode: istio}, serviceAccount: payments}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external, namespace: default}
spec:
  hosts: [${EXTERNAL}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: ${ip(22)}, ports: {http: 8443}}]
`;

function externalRule(mode: 'SIMPLE' | 'MUTUAL', dir: string): string {
  const files = mode === 'MUTUAL' ? `, clientCertificate: ${path.join(dir, 'client.pem')}, privateKey: ${path.join(dir, 'client-key.pem')}` : '';
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: external, namespace: default}
spec:
  host: ${EXTERNAL}
  trafficPolicy:
    tls: {mode: ${mode}, caCertificates: ${path.join(dir, 'ca.pem')}, sni: ${EXTERNAL}${files}}
`;
}

/** One HTTP request over TLS to the server sidecar's inbound listener with `leaf` as client cert. */
function tlsRequest(host: string, leaf: TestLeaf, ca: string): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host, port: 80, cert: leaf.certPem, key: leaf.keyPem, ca, ALPNProtocols: ['istio'], servername: 'outbound_.80_._.reviews.default.svc.cluster.local', checkServerIdentity: () => undefined });
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(`timeout: ${out}`);
    }, 10_000);
    s.on('secureConnect', () => s.write('GET /cert-test HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n'));
    s.on('data', (d: Buffer) => (out += d.toString()));
    const done = (why: string): void => {
      clearTimeout(timer);
      resolve(out || why);
    };
    s.on('error', (e) => done(`error: ${e.message}`));
    s.on('close', () => done('closed'));
  });
}

describe('rejected certificates and DestinationRule TLS origination', { timeout: 240_000 }, () => {
  let cp: ControlPlaneHandle;
  let client: ProxyHandle;
  let ca: TestCa;
  let configDir = '';
  let fileDir = '';
  let fake: tls.Server;
  let external: tls.Server;
  let externalSeen: { sni: string | false | null; clientCert: boolean }[] = [];

  before(async () => {
    configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'base.yaml', CONFIG);
    ca = await makeCa('weft-test-root');
    const serverCerts = tempDir('certs-server');
    const clientCerts = tempDir('certs-client');
    writeIdentityDir(serverCerts, await workloadSvid(ca, 'reviews'), ca.pem);
    writeIdentityDir(clientCerts, await workloadSvid(ca, 'productpage'), ca.pem);
    // The stand-in for the payments sidecar: its certificate is swapped per case.
    const good = await workloadSvid(ca, 'payments');
    fake = tls.createServer({ cert: good.certPem, key: good.keyPem, ca: ca.pem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['istio-peer-exchange', 'istio'] }, (s) => {
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\npayments'));
    });
    fake.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => fake.listen(80, ip(21), r));
    // An external TLS server for DestinationRule SIMPLE / MUTUAL (its own CA, DNS name).
    const extCa = await makeCa('external-ca');
    const extLeaf = await issueLeaf(extCa, { dns: [EXTERNAL] });
    const extClient = await issueLeaf(ca, { uris: ['spiffe://cluster.local/ns/default/sa/productpage'] });
    fileDir = tempDir('dr-files');
    fs.writeFileSync(path.join(fileDir, 'ca.pem'), extCa.pem);
    fs.writeFileSync(path.join(fileDir, 'client.pem'), extClient.certPem);
    fs.writeFileSync(path.join(fileDir, 'client-key.pem'), extClient.keyPem);
    external = tls.createServer({ cert: extLeaf.certPem, key: extLeaf.keyPem, ca: ca.pem, requestCert: true, rejectUnauthorized: false }, (s) => {
      externalSeen.push({ sni: s.servername, clientCert: s.authorized });
      s.once('data', () => s.end(`HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\nexternal`));
    });
    await new Promise<void>((r) => external.listen(8443, ip(22), r));
    cp = await startControlPlane({ configDir, stateDir, xdsPort: 24746, httpPort: 24747 });
    await startUpstream('reviews', ip(11), 9080);
    await startProxy({ xds: cp.xds, ip: ip(11), name: 'reviews-0', workload: 'reviews', labels: { app: 'reviews' }, serviceAccount: 'reviews', certDir: serverCerts });
    client = await startProxy({ xds: cp.xds, ip: ip(2), name: 'productpage-0', workload: 'productpage', labels: { app: 'productpage' }, serviceAccount: 'productpage', certDir: clientCerts });
  });
  after(async () => {
    fake?.close();
    external?.close();
    await stopAll();
  });

  it('the inbound mTLS listener refuses every bad client certificate before the app', async () => {
    await waitFor('STRICT listener', async () => (await httpGet(`http://${ip(11)}:15000/config_dump`)).body.includes('DownstreamTlsContext'));
    const good = await workloadSvid(ca, 'productpage');
    assert.match(await tlsRequest(ip(11), good, ca.pem), /^HTTP\/1.1 200/, 'the control case gets through');
    const count = async (): Promise<number> => (JSON.parse((await httpGet(`http://${ip(11)}:9080/__count`)).body) as { count: number }).count;
    const before = await count();
    const results: Record<string, string> = {};
    for (const bad of await badCertificates(ca, 'productpage')) {
      const r = await tlsRequest(ip(11), bad.leaf, ca.pem);
      results[bad.name] = r.startsWith('HTTP/') ? r.split('\r\n')[0]! : 'refused';
    }
    assert.deepEqual(results, {
      expired: 'refused', 'not yet valid': 'refused', 'wrong CA': 'refused', 'two URI SANs': 'refused', 'CA=true leaf': 'refused',
      'URI SAN with a NUL byte': 'refused', 'wrong trust domain': 'refused', 'SPIFFE ID as a DNS SAN': 'refused',
    });
    assert.equal(await count(), before, 'no request reached the app');
    const log = (await httpGet(`http://${ip(11)}:15000/stats/prometheus`)).body;
    assert.match(log, /weft_inbound_connections_refused_total\{reason="identity"\} [1-9]/);
  });

  it('the client sidecar refuses every bad server certificate with UF and a clear reason', async () => {
    await waitFor('payments cluster with auto mTLS', async () => {
      const d = await configDump(client.admin);
      return JSON.stringify(d.clusters.find((c) => c.name === `outbound|80||${PAYMENTS}`) ?? {}).includes('tlsMode-istio');
    });
    const ok = await viaSidecar(ip(2), PAYMENTS, '/');
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.body, 'payments');
    const reasons: Record<string, string> = {};
    for (const bad of await badCertificates(ca, 'payments')) {
      fake.setSecureContext({ cert: bad.leaf.certPem, key: bad.leaf.keyPem, ca: ca.pem });
      const r = await viaSidecar(ip(2), PAYMENTS, '/');
      assert.equal(r.status, 503, `${bad.name}: ${r.body}`);
      assert.match(r.body, /reset reason: connection failure, transport failure reason: TLS error: /, bad.name);
      reasons[bad.name] = r.body.slice(r.body.indexOf('TLS error: '));
    }
    assert.match(reasons.expired ?? '', /CERT_HAS_EXPIRED/);
    assert.match(reasons['not yet valid'] ?? '', /CERT_NOT_YET_VALID/);
    assert.match(reasons['wrong CA'] ?? '', /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    assert.match(reasons['two URI SANs'] ?? '', /2 URI SANs/);
    assert.match(reasons['CA=true leaf'] ?? '', /is a CA|INVALID_CA|CA=true/);
    assert.match(reasons['URI SAN with a NUL byte'] ?? '', /NUL/);
    assert.match(reasons['wrong trust domain'] ?? '', /does not match spiffe:\/\/cluster.local\/ns\/default\/sa\/payments/);
    assert.match(reasons['SPIFFE ID as a DNS SAN'] ?? '', /DNS SAN, not a URI SAN/);
  });

  it('DestinationRule SIMPLE and MUTUAL originate TLS with the CA file, SNI and client certificate', async () => {
    writeConfig(configDir, 'dr.yaml', externalRule('SIMPLE', fileDir));
    await waitFor('SIMPLE', async () => JSON.stringify((await configDump(client.admin)).clusters).includes('trusted_ca'));
    externalSeen = [];
    const r = await viaSidecar(ip(2), EXTERNAL, '/');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'external');
    assert.deepEqual(externalSeen, [{ sni: EXTERNAL, clientCert: false }]);
    writeConfig(configDir, 'dr.yaml', externalRule('MUTUAL', fileDir));
    await waitFor('MUTUAL', async () => JSON.stringify((await configDump(client.admin)).clusters).includes('client-key.pem'));
    externalSeen = [];
    const m = await viaSidecar(ip(2), EXTERNAL, '/');
    assert.equal(m.status, 200, m.body);
    assert.deepEqual(externalSeen, [{ sni: EXTERNAL, clientCert: true }]);
    // A CA that did not sign the server's certificate: refused.
    fs.writeFileSync(path.join(fileDir, 'other-ca.pem'), (await makeCa('unrelated')).pem);
    writeConfig(configDir, 'dr.yaml', externalRule('SIMPLE', fileDir).replace('ca.pem', 'other-ca.pem'));
    await waitFor('wrong CA file', async () => JSON.stringify((await configDump(client.admin)).clusters).includes('other-ca.pem'));
    const bad = await viaSidecar(ip(2), EXTERNAL, '/');
    assert.equal(bad.status, 503);
    assert.match(bad.body, /TLS error: /);
  });
});
