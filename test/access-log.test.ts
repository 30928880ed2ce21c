// Access logs and the Telemetry API through a real control plane, real sidecars and real upstream
// processes: off by default; turned on per workload (selector), mesh-wide (root namespace) and per
// namespace; lines in Istio's default TEXT format for 200, 404 NR, 503 UF and 503 UO; a JSON
// file provider with a CEL filter; a workload-level disable; metric overrides (a removed tag, an
// added tag from a request header, a disabled metric) visible in the proxy's scrape.
//
// Absence is only ever asserted against a later line in the same sink (one writer per path per
// process writes lines in order), so no assertion depends on timing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startScenario, type Scenario } from './harness/scenario.js';
import { stopAll, tempDir, waitFor, type Proc, type ProxyHandle } from './harness/processes.js';
import { httpGet, viaSidecar, type Resp } from './harness/http.js';
import { applyConfig } from './harness/config.js';
import { findSamples, parseExposition } from '../src/telemetry/exposition-parser.js';

const SUBNET = '127.0.54';
const XDS_PORT = 27540;
const HTTP_PORT = 27544;
const CP = `127.0.0.1:${HTTP_PORT}`;
const REVIEWS = 'reviews.default.svc.cluster.local';
const LOG_DIR = tempDir('accesslog');
const JSON_FILE = path.join(LOG_DIR, 'errors.json');

const EXTRA = `---
apiVersion: weft.dev/v1alpha1
kind: MeshConfig
metadata: {name: mesh, namespace: istio-system}
spec:
  extensionProviders:
  - name: json-file
    envoyFileAccessLog:
      path: ${JSON_FILE}
      logFormat:
        labels:
          start: "%START_TIME%"
          code: "%RESPONSE_CODE%"
          flags: "%RESPONSE_FLAGS%"
          path: "%REQ(:PATH)%"
          upstream_host: "%UPSTREAM_HOST%"
          duration: "%DURATION%"
          line: "%REQ(:METHOD)% %PROTOCOL%"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{uri: {prefix: /v1}}]
    route: [{destination: {host: reviews, subset: v1}}]
  - match: [{uri: {prefix: /v2}}]
    route: [{destination: {host: reviews, subset: v2}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: dead, namespace: default}
spec:
  hosts: [dead.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: ${SUBNET}.50, ports: {http: 9}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: slow, namespace: default}
spec:
  hosts: [slow.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: ${SUBNET}.12, ports: {http: 9080}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: slow, namespace: default}
spec:
  host: slow.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1}
`;

const telemetry = (name: string, namespace: string, body: string): string =>
  `apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n${body}`;

/** Istio's default TEXT format, field by field. */
const LINE =
  /^\[(\S+)\] "(\S+) (\S+) (\S+)" (\d+) (\S+) (\S+) (\S+) "([^"]*)" (\d+) (\d+) (\d+) (\S+) "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)" "([^"]*)" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/;
const FIELDS = [
  'start', 'method', 'path', 'protocol', 'code', 'flags', 'details', 'termination', 'transportFailure', 'bytesReceived',
  'bytesSent', 'duration', 'upstreamServiceTime', 'xff', 'userAgent', 'requestId', 'authority', 'upstreamHost',
  'cluster', 'upstreamLocal', 'downstreamLocal', 'downstreamRemote', 'sni', 'route',
] as const;
type Line = Record<(typeof FIELDS)[number], string>;

function lines(p: Proc): Line[] {
  const out: Line[] = [];
  for (const l of p.output().split('\n')) {
    const m = LINE.exec(l);
    if (m) out.push(Object.fromEntries(FIELDS.map((f, i) => [f, m[i + 1] ?? ''])) as Line);
  }
  return out;
}

const lineFor = (p: Proc, pathPrefix: string): Line | undefined => lines(p).find((l) => l.path.startsWith(pathPrefix));

async function waitLine(p: Proc, pathPrefix: string): Promise<Line> {
  await waitFor(`access log line for ${pathPrefix}`, () => lineFor(p, pathPrefix) !== undefined, 20_000);
  return lineFor(p, pathPrefix)!;
}

/** Waits until the proxy accepted listeners for which `check` holds (config_dump). */
async function waitListeners(p: ProxyHandle, what: string, check: (listenersJson: string) => boolean): Promise<void> {
  await waitFor(what, async () => {
    const dump = JSON.parse((await httpGet(`http://${p.admin}/config_dump`)).body) as { listeners: unknown[] };
    return check(JSON.stringify(dump.listeners));
  }, 20_000);
}

function jsonLines(): Record<string, unknown>[] {
  if (!fs.existsSync(JSON_FILE)) return [];
  return fs
    .readFileSync(JSON_FILE, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function ok(r: Promise<Resp>, status = 200): Promise<Resp> {
  const res = await r;
  assert.equal(res.status, status, res.body);
  return res;
}

describe('access logs and the Telemetry API', { timeout: 240_000 }, () => {
  let s: Scenario;
  let client: ProxyHandle;
  let v1: ProxyHandle;
  let v2: ProxyHandle;

  before(async () => {
    s = await startScenario({ subnet: SUBNET, xdsPort: XDS_PORT, httpPort: HTTP_PORT, extraConfig: EXTRA });
    client = s.client;
    [v1, v2] = s.servers as [ProxyHandle, ProxyHandle];
    await waitFor('routes to reviews v1', async () => (await viaSidecar(client.ip, REVIEWS, '/v1/warmup')).status === 200, 20_000);
  });
  after(() => stopAll());

  it('a workload-level Telemetry (selector) turns logs on for that workload only', async () => {
    await ok(viaSidecar(client.ip, REVIEWS, '/v1/off-before-any'));
    await ok(viaSidecar(client.ip, REVIEWS, '/v2/off-before-any'));
    const r = await applyConfig(CP, telemetry('reviews-v1-logs', 'default', '  selector:\n    matchLabels: {app: reviews, version: v1}\n  accessLogging:\n  - providers: [{name: envoy}]\n'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await waitListeners(v1, 'reviews-v1 has access_log', (j) => j.includes('access_log'));
    await ok(viaSidecar(client.ip, REVIEWS, '/v2/wl-not-selected'));
    await ok(viaSidecar(client.ip, REVIEWS, '/v1/wl-selected'));
    const l = await waitLine(v1, '/v1/wl-selected');
    // The server side (inbound): its listener on the service port, the local app as upstream.
    assert.equal(l.code, '200');
    assert.equal(l.flags, '-');
    assert.equal(l.details, 'via_upstream');
    assert.equal(l.downstreamLocal, `${SUBNET}.11:80`);
    assert.equal(l.upstreamHost, `${SUBNET}.11:9080`);
    assert.equal(l.cluster, 'inbound|80||');
    assert.equal(lineFor(v1, '/v1/off-before-any'), undefined, 'nothing was logged before the Telemetry applied');
  });

  it('a mesh-wide Telemetry (root namespace) logs on every proxy in Istio\'s default format; nothing before it', async () => {
    await applyConfig(CP, telemetry('mesh-default', 'istio-system', '  accessLogging:\n  - providers: [{name: envoy}]\n'));
    await waitListeners(client, 'client has access_log', (j) => j.includes('access_log'));
    await waitListeners(v2, 'reviews-v2 has access_log', (j) => j.includes('access_log'));
    await ok(viaSidecar(client.ip, REVIEWS, '/v1/mesh-ok?x=1', { headers: { 'user-agent': 'access-log-test', 'x-request-id': 'req-1' } }));
    const l = await waitLine(client, '/v1/mesh-ok');
    assert.match(l.start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(
      [l.method, l.path, l.protocol, l.code, l.flags, l.details, l.termination, l.transportFailure, l.bytesReceived],
      ['GET', '/v1/mesh-ok?x=1', 'HTTP/1.1', '200', '-', 'via_upstream', '-', '-', '0'],
    );
    assert.ok(Number(l.bytesSent) > 0, `bytes sent ${l.bytesSent}`);
    assert.deepEqual([l.userAgent, l.requestId, l.authority], ['access-log-test', 'req-1', REVIEWS]);
    assert.equal(l.upstreamHost, `${SUBNET}.11:80`);
    assert.equal(l.cluster, `outbound|80|v1|${REVIEWS}`);
    assert.equal(l.downstreamLocal, `${SUBNET}.2:15001`);
    assert.match(l.downstreamRemote, /^127\.0\.0\.1:\d+$|^127\.0\.54\.\d+:\d+$/);
    assert.match(l.upstreamLocal, /^127\.\d+\.\d+\.\d+:\d+$/);
    // Off by default: the client's earlier requests left no line (same writer, so they would be earlier).
    assert.equal(lineFor(client, '/v1/off-before-any'), undefined);
    assert.equal(lineFor(client, '/v1/wl-selected'), undefined);
    await ok(viaSidecar(client.ip, REVIEWS, '/v2/mesh-v2'));
    await waitLine(v2, '/v2/mesh-v2');
    assert.equal(lineFor(v2, '/v2/wl-not-selected'), undefined, 'reviews-v2 was not selected by the workload Telemetry');
  });

  it('404 NR, 503 UF and 503 UO lines carry the flag, the details and the upstream', async () => {
    // reviews' VirtualService routes only /v1 and /v2 (an unknown host would go to PassthroughCluster).
    await ok(viaSidecar(client.ip, REVIEWS, '/nr-case'), 404);
    const nr = await waitLine(client, '/nr-case');
    assert.deepEqual([nr.code, nr.flags, nr.details, nr.upstreamHost, nr.cluster, nr.bytesSent], ['404', 'NR', 'route_not_found', '-', '-', '0']);

    await ok(viaSidecar(client.ip, 'dead.default.svc.cluster.local', '/uf-case'), 503);
    const uf = await waitLine(client, '/uf-case');
    // Istio's default retry policy retries connect failures: the last attempt's UF plus URX.
    assert.deepEqual([uf.code, uf.details], ['503', 'upstream_reset_before_response_started{connection_failure}']);
    assert.match(uf.flags, /^UF(,URX)?$/);
    assert.equal(uf.upstreamHost, `${SUBNET}.50:9`);
    assert.equal(uf.cluster, 'outbound|80||dead.default.svc.cluster.local');
    assert.notEqual(uf.transportFailure, '-', 'UF names the transport failure');
    assert.ok(!uf.transportFailure.includes(' '));
    assert.equal(uf.transportFailure, 'delayed_connect_error:_Connection_refused');
    assert.ok(Number(uf.bytesSent) > 0, 'the local reply body counts as bytes sent');

    // maxConnections 1 + 1 pending: of 4 concurrent slow requests at least one overflows (UO).
    let uo: Line | undefined;
    for (let round = 0; round < 5 && !uo; round++) {
      const rs = await Promise.all([0, 1, 2, 3].map((i) => viaSidecar(client.ip, 'slow.default.svc.cluster.local', `/uo-case-${round}-${i}?delay=1500`)));
      const i = rs.findIndex((x) => x.status === 503);
      if (i >= 0) uo = await waitLine(client, `/uo-case-${round}-${i}`);
    }
    assert.ok(uo, 'a request overflowed the circuit breaker');
    assert.deepEqual([uo.code, uo.flags, uo.details, uo.cluster], ['503', 'UO', 'upstream_reset_before_response_started{overflow}', 'outbound|80||slow.default.svc.cluster.local']);
  });

  it('a namespace Telemetry adds a JSON file provider filtered by CEL (response.code >= 400)', async () => {
    await applyConfig(
      CP,
      telemetry('default-errors', 'default', '  accessLogging:\n  - providers: [{name: json-file}]\n    filter:\n      expression: response.code >= 400\n'),
    );
    await waitListeners(client, 'client has the json-file logger', (j) => j.includes(JSON_FILE));
    await ok(viaSidecar(client.ip, REVIEWS, '/v1/json-ok'));
    await ok(viaSidecar(client.ip, REVIEWS, '/json-nr'), 404);
    await waitFor('JSON line for /json-nr', () => jsonLines().some((l) => l.path === '/json-nr'), 20_000);
    const l = jsonLines().find((x) => x.path === '/json-nr')!;
    assert.equal(l.code, 404, 'RESPONSE_CODE stays a number in JSON');
    assert.equal(l.flags, 'NR');
    assert.equal(l.upstream_host, null, 'a missing value is null in JSON');
    assert.equal(typeof l.duration, 'number');
    assert.equal(l.line, 'GET HTTP/1.1', 'mixed text stays a string');
    assert.match(String(l.start), /^\d{4}-\d\d-\d\dT/);
    assert.ok(!jsonLines().some((x) => x.path === '/v1/json-ok'), 'the 200 was filtered out');
    // The envoy provider inherited from the mesh level still logs to stdout.
    await waitLine(client, '/v1/json-ok');
  });

  it('a workload-level Telemetry disables the inherited provider for that workload only', async () => {
    const body = (disabled: boolean): string =>
      `  selector:\n    matchLabels: {app: productpage}\n  accessLogging:\n  - providers: [{name: envoy}]\n    disabled: ${disabled}\n`;
    await applyConfig(CP, telemetry('productpage', 'default', body(true)));
    await waitListeners(client, 'client stdout logger removed', (j) => !j.includes('/dev/stdout'));
    await ok(viaSidecar(client.ip, REVIEWS, '/v1/quiet'));
    await waitLine(v1, '/v1/quiet');
    await applyConfig(CP, telemetry('productpage', 'default', body(false)));
    await waitListeners(client, 'client stdout logger back', (j) => j.includes('/dev/stdout'));
    await ok(viaSidecar(client.ip, REVIEWS, '/v1/loud'));
    await waitLine(client, '/v1/loud');
    assert.equal(lineFor(client, '/v1/quiet'), undefined);
  });

  it('metric overrides: a disabled metric, a removed tag and a tag from a request header show in the scrape', async () => {
    const scrape = async (p: ProxyHandle): Promise<ReturnType<typeof parseExposition>> =>
      parseExposition((await httpGet(`http://${p.admin}/stats/prometheus`)).body);
    await applyConfig(
      CP,
      telemetry(
        'productpage',
        'default',
        `  selector:
    matchLabels: {app: productpage}
  metrics:
  - providers: [{name: prometheus}]
    overrides:
    - match: {metric: REQUEST_SIZE}
      disabled: true
    - tagOverrides:
        response_flags: {operation: REMOVE}
        user_tier: {value: "request.headers['x-user-tier']"}
`,
      ),
    );
    await waitListeners(client, 'client has the stats filter', (j) => j.includes('istio.stats'));
    await ok(viaSidecar(client.ip, REVIEWS, '/v1/metrics', { headers: { 'x-user-tier': 'gold' } }));
    await waitFor('istio_requests_total with user_tier', async () => findSamples(await scrape(client), 'istio_requests_total', { user_tier: 'gold' }).length > 0, 20_000);
    const m = await scrape(client);
    const req = findSamples(m, 'istio_requests_total', { reporter: 'source', user_tier: 'gold', response_code: '200' });
    assert.equal(req.length, 1);
    assert.equal(req[0]!.value, 1);
    assert.ok(!('response_flags' in req[0]!.labels), 'response_flags removed');
    assert.equal(req[0]!.labels.destination_workload, 'reviews-v1');
    assert.equal(findSamples(m, 'istio_request_bytes_count').length, 0, 'istio_request_bytes disabled');
    assert.ok(findSamples(m, 'istio_response_bytes_count', { user_tier: 'gold' }).length > 0);
    // The server was not selected: its metrics keep Istio's standard labels.
    const server = findSamples(await scrape(v1), 'istio_requests_total', { reporter: 'destination' });
    assert.ok(server.length > 0 && server.every((x) => 'response_flags' in x.labels && !('user_tier' in x.labels)));
  });
});
