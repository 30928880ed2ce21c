// A real Prometheus scrapes a running mesh. The control plane serves HTTP service discovery of every
// proxy and itself; `weft prometheus-config` writes the prometheus.yml. The mesh: a client
// sidecar (productpage), an HTTP service (reviews), a gRPC service (greeter), a TCP echo service,
// an ingress gateway and an external ServiceEntry (a plain process without sidecar). The test
// sends known traffic — counts of 200 and 503, gRPC calls, TCP bytes — waits for the scrapes and
// runs the three PromQL queries through Prometheus's HTTP API, checking the answers
// against what it sent: raw counter totals exactly, rates within the bounds of Prometheus's
// extrapolation, the p99 against the delay the upstream adds. Then Istio's label values for
// mesh→mesh HTTP, gRPC and TCP, outside→mesh through the gateway and mesh→external, Envoy-named
// cluster metrics and process metrics, all as Prometheus stored them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import grpc from '@grpc/grpc-js';
import { allSynced, writeConfig } from './harness/config.js';
import { keepAliveAgent, request, viaSidecar } from './harness/http.js';
import { meshIdentity } from './harness/mesh-identity.js';
import { startControlPlane, startProcess, startProxy, startUpstream, stopAll, tempDir, waitFor, type ControlPlaneHandle } from './harness/processes.js';
import { startPrometheus, type PrometheusHandle, type PromSample } from './harness/prometheus.js';
import { DIST, REPO_ROOT } from './harness/repo.js';
import { ECHO_SERVICE, type EchoReply, type EchoRequest } from './fixtures/grpc-service.js';

const run = promisify(execFile);
const SUBNET = '127.0.52';
const ip = (n: number): string => `${SUBNET}.${n}`;
const REVIEWS = 'reviews.default.svc.cluster.local';
const GREETER = 'greeter.default.svc.cluster.local';
const EXTERNAL = 'httpbin.external.test';
const TCP_PORT = 7000;
/** The test opens this many TCP connections through the sidecars (tcpConnection below). */
const TCP_CONNECTIONS = 2;
const GATEWAY_PORT = 18080;
/** Every reviews request waits this long in the upstream: the p99 must land above 250 ms. */
const DELAY_MS = 300;

const CONFIG = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
spec:
  service: reviews
  serviceAccount: reviews
  ports: [{name: http, containerPort: 9080, servicePort: 80, protocol: HTTP}]
  command: ["true"]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: greeter, namespace: default, labels: {app: greeter, version: v1}}
spec:
  service: greeter
  serviceAccount: greeter
  ports: [{name: grpc, containerPort: 7071, servicePort: 7070, protocol: GRPC}]
  command: ["true"]
---
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: echo, namespace: default, labels: {app: echo, version: v1}}
spec:
  service: echo
  ports: [{name: tcp-echo, containerPort: 9000, servicePort: ${TCP_PORT}, protocol: TCP}]
  command: ["true"]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin, namespace: default}
spec:
  hosts: [${EXTERNAL}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: ${ip(50)}, ports: {http: 9080}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - retries: {attempts: 0}
    route: [{destination: {host: reviews}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front, namespace: default}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: reviews}}]
`;

const REGISTRY = `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1-0, namespace: default}
spec:
  address: ${ip(11)}
  ports: {http: 80}
  labels: {app: reviews, version: v1, weft.dev/workload: reviews-v1, security.istio.io/tlsMode: istio}
  serviceAccount: reviews
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: greeter-0, namespace: default}
spec:
  address: ${ip(21)}
  ports: {grpc: 7070}
  labels: {app: greeter, version: v1, weft.dev/workload: greeter, security.istio.io/tlsMode: istio}
  serviceAccount: greeter
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: echo-0, namespace: default}
spec:
  address: ${ip(31)}
  ports: {tcp-echo: ${TCP_PORT}}
  labels: {app: echo, version: v1, weft.dev/workload: echo, security.istio.io/tlsMode: istio}
  serviceAccount: echo
`;

type EchoClient = grpc.Client & {
  unary: (req: EchoRequest, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, r?: EchoReply) => void) => grpc.ClientUnaryCall;
  bidi: (md: grpc.Metadata) => grpc.ClientDuplexStream<EchoRequest, EchoReply>;
};

/** What the test sent, per kind of traffic (warm-up requests included). */
const sent = {
  reviews200: 0,
  reviews503: 0,
  gateway200: 0,
  greeter: 0,
  external: 0,
  tcpUp: 0,
  tcpDown: 0,
  bidiMessages: 0,
};

/** Sums samples by the given labels, as `sum by (...)` would. */
function byLabels(samples: PromSample[], ...names: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    const k = names.map((n) => s.metric[n] ?? '').join('/');
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

function sortedEntries(m: Map<string, number>): [string, number][] {
  return [...m.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

describe('metrics scraped by a real Prometheus', { timeout: 300_000 }, () => {
  let cp: ControlPlaneHandle;
  let prom: PrometheusHandle;
  let grpcClient: EchoClient;
  const agent = keepAliveAgent(16);
  let promConfig = '';

  const unary = (name: string): Promise<void> =>
    new Promise((resolve, reject) => {
      grpcClient.unary({ name }, new grpc.Metadata(), (err) => (err ? reject(err) : resolve()));
    });

  const reviews = async (n: number, fail: boolean): Promise<void> => {
    await Promise.all(
      Array.from({ length: n }, async () => {
        const r = await viaSidecar(ip(2), REVIEWS, `/r?delay=${DELAY_MS}${fail ? '&fail=503' : ''}`, { agent });
        assert.equal(r.status, fail ? 503 : 200, r.body);
        if (fail) sent.reviews503++;
        else sent.reviews200++;
      }),
    );
  };
  const viaGateway = async (n: number): Promise<void> => {
    await Promise.all(
      Array.from({ length: n }, async () => {
        const r = await request(`http://${ip(100)}:${GATEWAY_PORT}/g?delay=${DELAY_MS}`, { agent });
        assert.equal(r.status, 200, r.body);
        sent.gateway200++;
      }),
    );
  };
  const greet = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await unary(`g${i}`);
      sent.greeter++;
    }
  };
  const external = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const r = await viaSidecar(ip(2), EXTERNAL, '/ext', { agent });
      assert.equal(r.status, 200, r.body);
      sent.external++;
    }
  };
  /** One TCP connection through the client sidecar: `bytes` up, the echo (and its sign-off) back. */
  const tcpConnection = (bytes: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const sock = net.connect({ host: ip(2), port: TCP_PORT }, () => sock.end(Buffer.alloc(bytes, 0x61)));
      let got = 0;
      sock.on('data', (d: Buffer) => (got += d.length));
      sock.on('error', reject);
      sock.on('close', () => {
        if (got < bytes) return reject(new Error(`tcp echo returned ${got} of ${bytes} bytes`));
        sent.tcpUp += bytes;
        sent.tcpDown += got;
        resolve();
      });
    });
  const bidi = (messages: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const call = grpcClient.bidi(new grpc.Metadata());
      let replies = 0;
      call.on('data', () => replies++);
      call.on('error', reject);
      call.on('status', (s: grpc.StatusObject) => {
        if (s.code !== grpc.status.OK || replies !== messages) return reject(new Error(`bidi: status ${s.code}, ${replies} replies`));
        sent.greeter++;
        sent.bidiMessages += messages;
        resolve();
      });
      for (let i = 0; i < messages; i++) call.write({ name: `m${i}` });
      call.end();
    });

  /** Waits until Prometheus answers `q` with exactly `expected` (label key → value). */
  const waitForAnswer = async (q: string, labels: string[], expected: Record<string, number>): Promise<void> => {
    let last = '';
    try {
      await waitFor(
        `prometheus: ${q}`,
        async () => {
          const got = Object.fromEntries(sortedEntries(byLabels(await prom.query(q), ...labels)));
          last = JSON.stringify(got);
          return JSON.stringify(got) === JSON.stringify(Object.fromEntries(Object.entries(expected).sort((a, b) => a[0].localeCompare(b[0]))));
        },
        60_000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\nexpected ${JSON.stringify(expected)}\nlast answer ${last}`, { cause: err });
    }
  };

  const destinationTotals = (): Record<string, number> => ({
    'reviews/200': sent.reviews200 + sent.gateway200,
    'reviews/503': sent.reviews503,
    'greeter/200': sent.greeter,
  });
  const sourceTotals = (): Record<string, number> => ({
    'reviews-v1': sent.reviews200 + sent.reviews503 + sent.gateway200,
    greeter: sent.greeter,
    unknown: sent.external,
  });
  // Both reporters (client and echo sidecars) count the same bytes under the same pair of workloads.
  const tcpTotals = (): Record<string, number> => ({ 'productpage/echo': 2 * sent.tcpDown });
  let warmSeenAt = 0;

  before(async () => {
    const configDir = tempDir('cfg');
    const stateDir = tempDir('state');
    fs.mkdirSync(path.join(stateDir, 'registry'), { recursive: true });
    writeConfig(configDir, 'mesh.yaml', CONFIG);
    writeConfig(path.join(stateDir, 'registry'), 'instances.yaml', REGISTRY);
    // mTLS between sidecars as `weft up` sets it up (CA-issued SVIDs, auto mTLS): the metadata
    // exchange is trusted over mTLS, so the destination reporter knows its callers.
    const id = meshIdentity(stateDir, ip(1), [
      { namespace: 'default', workload: 'reviews-v1', serviceAccount: 'reviews' },
      { namespace: 'default', workload: 'greeter', serviceAccount: 'greeter' },
      { namespace: 'default', workload: 'echo', serviceAccount: 'echo' },
      { namespace: 'default', workload: 'productpage', serviceAccount: 'productpage' },
      { namespace: 'istio-system', workload: 'istio-ingressgateway', serviceAccount: 'istio-ingressgateway' },
    ]);
    cp = await startControlPlane({ configDir, stateDir, host: ip(1), xdsPort: 15010, httpPort: 15014, extraArgs: id.cpArgs });
    const grpcApp = startProcess([path.join(DIST, 'test/fixtures/grpc-server.js')], { GRPC_NAME: 'greeter-0', GRPC_HOST: ip(21), GRPC_PORT: '7071' });
    const echoApp = startProcess([path.join(DIST, 'test/fixtures/ws-tcp-echo.js')], { ECHO_MODE: 'tcp', ECHO_NAME: 'echo-0', ECHO_HOST: ip(31), ECHO_PORT: '9000' });
    await Promise.all([
      startUpstream('reviews-v1', ip(11), 9080),
      startUpstream('httpbin', ip(50), 9080),
      waitFor('grpc server', () => grpcApp.output().includes('grpc server ready'), 10_000, grpcApp),
      waitFor('echo app', () => echoApp.output().includes('upstream ready'), 10_000, echoApp),
    ]);
    await Promise.all([
      startProxy({ xds: cp.xds, ip: ip(11), name: 'reviews-v1-0', workload: 'reviews-v1', labels: { app: 'reviews', version: 'v1' }, serviceAccount: 'reviews', extraArgs: id.proxyArgs('reviews-v1') }),
      startProxy({ xds: cp.xds, ip: ip(21), name: 'greeter-0', workload: 'greeter', labels: { app: 'greeter', version: 'v1' }, serviceAccount: 'greeter', extraArgs: id.proxyArgs('greeter') }),
      startProxy({ xds: cp.xds, ip: ip(31), name: 'echo-0', workload: 'echo', labels: { app: 'echo', version: 'v1' }, serviceAccount: 'echo', extraArgs: id.proxyArgs('echo') }),
      startProxy({ xds: cp.xds, ip: ip(2), name: 'productpage-0', workload: 'productpage', labels: { app: 'productpage', version: 'v1' }, serviceAccount: 'productpage', extraArgs: id.proxyArgs('productpage') }),
      startProxy({
        xds: cp.xds,
        ip: ip(100),
        name: 'ingress-0',
        workload: 'istio-ingressgateway',
        namespace: 'istio-system',
        type: 'router',
        labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' },
        portMap: `80=${GATEWAY_PORT}`,
        serviceAccount: 'istio-ingressgateway',
        extraArgs: id.proxyArgs('istio-ingressgateway', 'istio-system'),
      }),
    ]);
    await waitFor('all proxies synced', () => allSynced(cp.http, 5), 30_000);
    const Ctor = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
    grpcClient = new Ctor(`${ip(2)}:15001`, grpc.credentials.createInsecure(), { 'grpc.default_authority': `${GREETER}:7070` }) as unknown as EchoClient;

    const weft = path.join(REPO_ROOT, 'bin/weft.js');
    promConfig = (await run(process.execPath, [weft, '--control-plane', cp.http, 'prometheus-config', '--scrape-interval', '1s', '--refresh-interval', '1s'])).stdout;
    prom = await startPrometheus({ configYaml: promConfig, listen: `${ip(200)}:9090` });
    await waitFor(
      'prometheus scrapes all 6 targets',
      async () => {
        const t = await prom.targets();
        return t.length === 6 && t.every((x) => x.health === 'up');
      },
      60_000,
    );

    // Warm-up: one of each, so every series exists in Prometheus before the measured traffic
    // (rate() cannot see the increase that created a series).
    await reviews(1, false);
    await reviews(1, true);
    await viaGateway(1);
    await greet(1);
    await external(1);
    await waitForAnswer('sum(istio_requests_total{reporter="destination"}) by (destination_service_name, response_code)', ['destination_service_name', 'response_code'], destinationTotals());
    await waitForAnswer('sum(istio_requests_total{reporter="source"}) by (destination_workload)', ['destination_workload'], sourceTotals());
    warmSeenAt = Date.now() / 1000;

    // The measured traffic.
    for (let i = 0; i < 3; i++) await reviews(10, false);
    await reviews(10, true);
    for (let i = 0; i < 2; i++) await viaGateway(10);
    await greet(40);
    await bidi(5);
    await external(15);
    await tcpConnection(1000);
    await tcpConnection(2345);
    await waitForAnswer('sum(istio_requests_total{reporter="destination"}) by (destination_service_name, response_code)', ['destination_service_name', 'response_code'], destinationTotals());
    await waitForAnswer('sum(istio_requests_total{reporter="source"}) by (destination_workload)', ['destination_workload'], sourceTotals());
    await waitForAnswer('sum(istio_tcp_sent_bytes_total) by (source_workload, destination_workload)', ['source_workload', 'destination_workload'], tcpTotals());
  });

  after(async () => {
    grpcClient?.close();
    agent.destroy();
    await prom?.stop();
    await stopAll();
  });

  it('weft prometheus-config generates a config that discovers every proxy and the control plane', async () => {
    assert.match(promConfig, /http_sd_configs:/);
    assert.match(promConfig, new RegExp(`url: http://${cp.http.replaceAll('.', '\\.')}/debug/prometheus_sd`));
    const targets = await prom.targets();
    const pods = targets.map((t) => `${t.labels['namespace'] ?? ''}/${t.labels['pod'] ?? t.labels['app'] ?? ''} ${t.scrapeUrl}`).sort();
    assert.deepEqual(pods, [
      `/weft-control-plane http://${cp.http}/metrics`,
      `default/echo-0 http://${ip(31)}:15090/stats/prometheus`,
      `default/greeter-0 http://${ip(21)}:15090/stats/prometheus`,
      `default/productpage-0 http://${ip(2)}:15090/stats/prometheus`,
      `default/reviews-v1-0 http://${ip(11)}:15090/stats/prometheus`,
      `istio-system/ingress-0 http://${ip(100)}:15090/stats/prometheus`,
    ]);
    const pp = targets.find((t) => t.labels['pod'] === 'productpage-0');
    assert.deepEqual(
      { app: pp?.labels['app'], version: pp?.labels['version'], workload: pp?.labels['workload'], proxy_type: pp?.labels['proxy_type'] },
      { app: 'productpage', version: 'v1', workload: 'productpage', proxy_type: 'sidecar' },
    );
    assert.equal(targets.find((t) => t.labels['pod'] === 'ingress-0')?.labels['proxy_type'], 'router');
  });

  it('query 1: sum(rate(istio_requests_total{reporter="destination"}[1m])) by (destination_service_name, response_code)', async (t) => {
    // rate() extrapolates the increase it sees past the first and last samples by up to ~1.1
    // scrape intervals each; with 20 s of samples that is at most ~10% with 1 s scrapes.
    await waitFor('20 s of samples since the warm-up', () => Date.now() / 1000 - warmSeenAt >= 20, 30_000);
    const now = Date.now() / 1000;
    // The window must still hold the warm-up samples (the base the increase is counted from).
    assert.ok(now - warmSeenAt < 55, `query ran ${Math.round(now - warmSeenAt)} s after the warm-up; the 1m window no longer holds it`);
    const got = byLabels(
      await prom.query('sum(rate(istio_requests_total{reporter="destination"}[1m])) by (destination_service_name, response_code)', now),
      'destination_service_name',
      'response_code',
    );
    // Sent after the warm-up, per series: 30 + 20 reviews 200s, 10 reviews 503s, 40 unary + 1 bidi.
    const measured: Record<string, number> = { 'reviews/200': 50, 'reviews/503': 10, 'greeter/200': 41 };
    t.diagnostic(`rate*60: ${JSON.stringify(Object.fromEntries([...got].map(([k, v]) => [k, Math.round(v * 60 * 100) / 100])))}`);
    assert.deepEqual([...got.keys()].sort(), Object.keys(measured).sort());
    for (const [k, n] of Object.entries(measured)) {
      const increase = (got.get(k) ?? 0) * 60;
      assert.ok(increase >= n - 1e-9 && increase <= n * 1.5, `${k}: rate*60 = ${increase}, sent ${n}`);
    }
  });

  it('query 2: histogram_quantile(0.99, ... istio_request_duration_milliseconds_bucket{reporter="source"} ...) by destination_workload', async (t) => {
    const got = await prom.query(
      'histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{reporter="source"}[1m])) by (le, destination_workload))',
    );
    const p99 = new Map(got.map((s) => [s.metric['destination_workload'] ?? '', s.value]));
    t.diagnostic(`p99 ms: ${JSON.stringify(Object.fromEntries(p99))}`);
    assert.deepEqual([...p99.keys()].sort(), ['greeter', 'reviews-v1', 'unknown']);
    // Every reviews request waited DELAY_MS (300) in the app: all observations are above the
    // 250 ms bucket bound, so the p99 interpolates inside a bucket above it.
    const reviews = p99.get('reviews-v1') ?? NaN;
    assert.ok(reviews > 250 && Number.isFinite(reviews), `reviews-v1 p99 ${reviews} ms`);
    for (const w of ['greeter', 'unknown']) {
      const v = p99.get(w) ?? NaN;
      assert.ok(v > 0 && Number.isFinite(v), `${w} p99 ${v}`);
    }
  });

  it('query 3: sum(istio_tcp_sent_bytes_total) by (source_workload, destination_workload) equals the bytes echoed', async () => {
    const got = byLabels(await prom.query('sum(istio_tcp_sent_bytes_total) by (source_workload, destination_workload)'), 'source_workload', 'destination_workload');
    // Both reporters know both peers: over mTLS the sidecars exchange workload metadata in-band
    // (ALPN istio-peer-exchange), so the echo sidecar's source is productpage, not "unknown".
    assert.deepEqual(Object.fromEntries(sortedEntries(got)), tcpTotals());
    assert.equal(sent.tcpUp, 3345);
    const received = byLabels(await prom.query('sum(istio_tcp_received_bytes_total) by (reporter)'), 'reporter');
    assert.deepEqual(Object.fromEntries(sortedEntries(received)), { destination: sent.tcpUp, source: sent.tcpUp });
    const opened = byLabels(await prom.query('sum(istio_tcp_connections_opened_total) by (reporter)'), 'reporter');
    assert.deepEqual(Object.fromEntries(sortedEntries(opened)), { destination: 2, source: 2 });
  });

  /** The one series of `metric` matching `match`, with Prometheus's target labels removed. */
  const istioLabels = async (metric: string, match: string): Promise<Record<string, string>> => {
    const got = await prom.query(`${metric}{${match}}`);
    assert.equal(got.length, 1, `${metric}{${match}}: ${JSON.stringify(got.map((s) => s.metric))}`);
    const m = { ...got[0]!.metric };
    for (const k of ['__name__', 'instance', 'job', 'namespace', 'pod', 'workload', 'proxy_type', 'app', 'version', 'istio']) delete m[k];
    return m;
  };
  /** `sa`: the peer's service account when the hop was mTLS (its SPIFFE ID is the principal). */
  const peer = (side: 'source' | 'destination', workload: string, ns: string, app: string, version: string, sa?: string): Record<string, string> => ({
    [`${side}_workload`]: workload,
    [`${side}_workload_namespace`]: ns,
    [`${side}_principal`]: sa ? `spiffe://cluster.local/ns/${ns}/sa/${sa}` : 'unknown',
    [`${side}_app`]: app,
    [`${side}_version`]: version,
    [`${side}_canonical_service`]: app === 'unknown' ? workload : app,
    [`${side}_canonical_revision`]: version === 'unknown' ? 'latest' : version,
    [`${side}_cluster`]: 'Kubernetes',
    [`${side}_cluster_id`]: 'Kubernetes',
  });
  const UNKNOWN_PEER = (side: 'source' | 'destination'): Record<string, string> => ({
    ...peer(side, 'unknown', 'unknown', 'unknown', 'unknown'),
    [`${side}_canonical_revision`]: 'unknown',
    [`${side}_cluster`]: 'unknown',
    [`${side}_cluster_id`]: 'unknown',
  });
  const service = (name: string, ns: string, host = `${name}.${ns}.svc.cluster.local`): Record<string, string> => ({
    destination_service: host,
    destination_service_name: name,
    destination_service_namespace: ns,
  });

  it('labels: mesh → mesh HTTP, both reporters', async () => {
    const common = {
      ...peer('source', 'productpage', 'default', 'productpage', 'v1', 'productpage'),
      ...peer('destination', 'reviews-v1', 'default', 'reviews', 'v1', 'reviews'),
      ...service('reviews', 'default'),
      request_protocol: 'http',
      response_code: '503',
      response_flags: '-',
    };
    assert.deepEqual(await istioLabels('istio_requests_total', 'reporter="source",response_code="503"'), {
      ...common,
      reporter: 'source',
      connection_security_policy: 'unknown',
    });
    assert.deepEqual(await istioLabels('istio_requests_total', 'reporter="destination",response_code="503"'), {
      ...common,
      reporter: 'destination',
      connection_security_policy: 'mutual_tls',
    });
  });

  it('labels: mesh → mesh gRPC', async () => {
    const got = await istioLabels('istio_requests_total', 'reporter="source",request_protocol="grpc"');
    assert.deepEqual(got, {
      ...peer('source', 'productpage', 'default', 'productpage', 'v1', 'productpage'),
      ...peer('destination', 'greeter', 'default', 'greeter', 'v1', 'greeter'),
      ...service('greeter', 'default'),
      reporter: 'source',
      request_protocol: 'grpc',
      grpc_response_status: '0',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'unknown',
    });
  });

  it('gRPC message counters: one message each way per unary call, every message of the bidi stream', async () => {
    const expected = sent.greeter - 1 + sent.bidiMessages; // the bidi stream is one of sent.greeter
    for (const name of ['istio_request_messages_total', 'istio_response_messages_total']) {
      const got = byLabels(await prom.query(`sum(${name}{destination_service_name="greeter"}) by (reporter)`), 'reporter');
      assert.deepEqual(Object.fromEntries(sortedEntries(got)), { destination: expected, source: expected }, name);
    }
    assert.deepEqual(await prom.query('istio_request_messages_total{destination_service_name="reviews"}'), []);
    // Every call ended OK: one grpc_response_status, "0", on both reporters.
    const statuses = byLabels(await prom.query('sum(istio_requests_total{request_protocol="grpc"}) by (reporter, grpc_response_status)'), 'reporter', 'grpc_response_status');
    assert.deepEqual(Object.fromEntries(sortedEntries(statuses)), { 'destination/0': sent.greeter, 'source/0': sent.greeter });
  });

  it('labels: mesh → mesh TCP', async () => {
    // Over mTLS the sidecars exchange metadata in-band (istio-peer-exchange): both reporters have
    // both workloads, with principals from the certificates, as for HTTP.
    const common = {
      ...peer('source', 'productpage', 'default', 'productpage', 'v1', 'productpage'),
      ...peer('destination', 'echo', 'default', 'echo', 'v1', 'echo'),
      ...service('echo', 'default'),
      request_protocol: 'tcp',
      response_flags: '-',
    };
    const src = await istioLabels('istio_tcp_connections_opened_total', 'reporter="source"');
    assert.deepEqual(src, { ...common, reporter: 'source', connection_security_policy: 'unknown' });
    const dst = await istioLabels('istio_tcp_connections_opened_total', 'reporter="destination"');
    assert.deepEqual(dst, { ...common, reporter: 'destination', connection_security_policy: 'mutual_tls' });
  });

  it('labels: outside → mesh through the gateway', async () => {
    const gw = await istioLabels('istio_requests_total', 'reporter="source",source_workload="istio-ingressgateway"');
    assert.deepEqual(gw, {
      ...peer('source', 'istio-ingressgateway', 'istio-system', 'istio-ingressgateway', 'unknown', 'istio-ingressgateway'),
      ...peer('destination', 'reviews-v1', 'default', 'reviews', 'v1', 'reviews'),
      ...service('reviews', 'default'),
      reporter: 'source',
      request_protocol: 'http',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'unknown',
    });
    const atReviews = await istioLabels('istio_requests_total', 'reporter="destination",source_workload="istio-ingressgateway"');
    assert.equal(atReviews['destination_workload'], 'reviews-v1');
    assert.equal(atReviews['source_workload_namespace'], 'istio-system');
    const total = await prom.query('sum(istio_requests_total{reporter="destination",source_workload="istio-ingressgateway"})');
    assert.equal(total[0]?.value, sent.gateway200);
  });

  it('labels: mesh → external ServiceEntry', async () => {
    const got = await istioLabels('istio_requests_total', `reporter="source",destination_service="${EXTERNAL}"`);
    assert.deepEqual(got, {
      ...peer('source', 'productpage', 'default', 'productpage', 'v1'),
      ...UNKNOWN_PEER('destination'),
      ...service(EXTERNAL, 'default', EXTERNAL),
      reporter: 'source',
      request_protocol: 'http',
      response_code: '200',
      response_flags: '-',
      connection_security_policy: 'unknown',
    });
    const total = await prom.query(`sum(istio_requests_total{destination_service="${EXTERNAL}"})`);
    assert.equal(total[0]?.value, sent.external);
  });

  it('Envoy-named cluster metrics with Istio cluster names count what was sent', async () => {
    const one = async (q: string): Promise<number> => {
      const got = await prom.query(q);
      assert.equal(got.length, 1, `${q}: ${JSON.stringify(got)}`);
      return got[0]!.value;
    };
    const reviewsCluster = `cluster_name="outbound|80||${REVIEWS}",pod="productpage-0"`;
    const fromClient = sent.reviews200 + sent.reviews503; // retries are off for mesh traffic to reviews
    assert.equal(await one(`envoy_cluster_upstream_rq_total{${reviewsCluster}}`), fromClient);
    assert.equal(await one(`envoy_cluster_upstream_rq_completed{${reviewsCluster}}`), fromClient);
    assert.equal(await one(`envoy_cluster_upstream_rq{${reviewsCluster},response_code_class="2xx"}`), sent.reviews200);
    assert.equal(await one(`envoy_cluster_upstream_rq{${reviewsCluster},response_code_class="5xx"}`), sent.reviews503);
    assert.equal(await one(`envoy_cluster_upstream_rq{${reviewsCluster},response_code="503"}`), sent.reviews503);
    assert.equal(await one(`sum(envoy_cluster_upstream_rq{${reviewsCluster},response_code!=""})`), fromClient);
    assert.ok((await one(`envoy_cluster_upstream_cx_rx_bytes_total{${reviewsCluster}}`)) > 0);
    assert.ok((await one(`envoy_cluster_upstream_cx_active{${reviewsCluster}}`)) >= 1, 'keep-alive connections to reviews stay open');
    // gRPC over the h2 upstream session.
    const greeterCluster = `cluster_name="outbound|7070||${GREETER}",pod="productpage-0"`;
    assert.equal(await one(`envoy_cluster_upstream_rq{${greeterCluster},response_code="200"}`), sent.greeter);
    assert.ok((await one(`envoy_cluster_upstream_cx_tx_bytes_total{${greeterCluster}}`)) > 0);
    // TCP proxy: the upstream connection's bytes are exactly the payload, both ways.
    const echoCluster = `cluster_name="outbound|${TCP_PORT}||echo.default.svc.cluster.local",pod="productpage-0"`;
    // Connection-level bytes, as Envoy counts them: the app's bytes plus one metadata-exchange
    // frame each way per connection (8-byte header + at most 4096 bytes of payload).
    for (const [metric, app] of [['tx', sent.tcpUp], ['rx', sent.tcpDown]] as const) {
      const overhead = (await one(`envoy_cluster_upstream_cx_${metric}_bytes_total{${echoCluster}}`)) - app;
      const perConnection = overhead / TCP_CONNECTIONS;
      assert.ok(Number.isInteger(perConnection) && perConnection > 8 && perConnection <= 8 + 4096, `${metric}: ${overhead} bytes over the app's`);
    }
    assert.equal(await one(`envoy_cluster_upstream_cx_active{${echoCluster}}`), 0);
    // The inbound side on the reviews sidecar, and the gateway's cluster.
    const inbound = `cluster_name="inbound|80||",pod="reviews-v1-0"`;
    assert.equal(await one(`envoy_cluster_upstream_rq_total{${inbound}}`), sent.reviews200 + sent.reviews503 + sent.gateway200);
    assert.equal(await one(`envoy_cluster_upstream_rq{cluster_name="outbound|80||${REVIEWS}",pod="ingress-0",response_code="200"}`), sent.gateway200);
    for (const name of ['envoy_server_uptime', 'envoy_server_memory_allocated']) {
      assert.equal((await prom.query(`count(${name}) by (pod)`)).length, 5, name);
    }
  });

  it('process metrics from every proxy and the control plane', async () => {
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      const got = await prom.query(`count(${name}) by (instance)`);
      assert.equal(got.length, 6, `${name} on ${got.length} targets`);
    }
    const cpu = await prom.query('process_cpu_seconds_total{pod="productpage-0"}');
    assert.ok((cpu[0]?.value ?? 0) > 0);
  });
});
