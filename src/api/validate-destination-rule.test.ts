import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblem, parse, parseValid, rejected, withSpec } from './test-helpers.js';

test('subsets with labels, top-level and per-subset load balancer', () => {
  const dr = parseValid('DestinationRule', withSpec('DestinationRule', `
    host: reviews.default.svc.cluster.local
    exportTo: ["*"]
    trafficPolicy:
      loadBalancer:
        simple: LEAST_REQUEST
    subsets:
    - name: v1
      labels:
        version: v1
    - name: v2
      labels:
        version: v2
      trafficPolicy:
        loadBalancer:
          simple: ROUND_ROBIN
  `));
  assert.deepEqual(dr.spec, {
    host: 'reviews.default.svc.cluster.local',
    exportTo: ['*'],
    trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } },
    ],
  });
});

test('host is required; subsets default to []', () => {
  assert.deepEqual(rejected('DestinationRule', 'subsets: []'), ['spec.host: required: expected a string']);
  assert.deepEqual(parseValid('DestinationRule', withSpec('DestinationRule', 'host: "*.example.com"')).spec.subsets, []);
});

test('subset names are unique DNS labels and each subset needs labels', () => {
  const problems = rejected('DestinationRule', `
    host: reviews
    subsets:
    - name: v1
      labels: {version: v1}
    - name: V_2
      labels: {version: v2}
    - name: v1
      labels: {version: v1b}
    - name: v3
  `);
  assert.deepEqual(problems, [
    'spec.subsets[1].name: expected a DNS label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), got "V_2"',
    'spec.subsets[2].name: duplicate subset name "v1" (also at spec.subsets[0].name)',
    'spec.subsets[3].labels: required: expected a map of labels',
  ]);
});

test('label keys and values follow Kubernetes rules', () => {
  const problems = rejected('DestinationRule', 'host: r\nsubsets: [{name: v1, labels: {"bad key!": x, version: "not valid!"}}]');
  assertProblem(problems, 'spec.subsets[0].labels["bad key!"]: expected a label key');
  assertProblem(problems, 'spec.subsets[0].labels.version: expected a label value', 'got "not valid!"');
});

test('loadBalancer.simple is one of the Istio values; LEAST_CONN reads as LEAST_REQUEST with a warning', () => {
  for (const lb of ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH', 'UNSPECIFIED']) {
    const dr = parseValid('DestinationRule', withSpec('DestinationRule', `host: r\ntrafficPolicy: {loadBalancer: {simple: ${lb}}}`));
    assert.equal(dr.spec.trafficPolicy?.loadBalancer?.simple, lb);
  }
  const r = parse(withSpec('DestinationRule', 'host: r\ntrafficPolicy: {loadBalancer: {simple: LEAST_CONN}}'));
  assert.deepEqual(r.problems, ['warning spec.trafficPolicy.loadBalancer.simple: LEAST_CONN is deprecated in Istio; treated as LEAST_REQUEST']);
  const dr = r.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.equal(dr.spec.trafficPolicy?.loadBalancer?.simple, 'LEAST_REQUEST');
  assert.deepEqual(rejected('DestinationRule', 'host: r\ntrafficPolicy: {loadBalancer: {simple: ROUND_ROBBIN}}'), [
    'spec.trafficPolicy.loadBalancer.simple: expected one of ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH, UNSPECIFIED, got "ROUND_ROBBIN" (did you mean "ROUND_ROBIN"?)',
  ]);
});

test('tunnel and localityLbSetting.distribute are warned about and ignored', () => {
  const r = parse(withSpec('DestinationRule', `
    host: reviews
    trafficPolicy:
      tunnel: {protocol: CONNECT}
      loadBalancer:
        localityLbSetting: {enabled: true, distribute: [{from: "r1/*", to: {"r2/*": 100}}]}
    subsets:
    - name: v1
      labels: {version: v1}
      trafficPolicy: {portLevelSettings: [{port: {number: 80}, tls: {mode: DISABLE}}]}
  `));
  assert.equal(r.resources.length, 1);
  assert.deepEqual(r.problems, [
    'warning spec.trafficPolicy.tunnel: ignored: not supported yet',
    'warning spec.trafficPolicy.loadBalancer.localityLbSetting.distribute: ignored: not supported yet',
  ]);
  const dr = r.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.deepEqual(dr.spec.trafficPolicy, { loadBalancer: { localityLbSetting: { enabled: true } } });
});

test('connectionPool and outlierDetection are read with durations in milliseconds', () => {
  const dr = parseValid('DestinationRule', withSpec('DestinationRule', `
    host: reviews
    trafficPolicy:
      connectionPool:
        tcp: {maxConnections: 10, connectTimeout: 250ms, tcpKeepalive: {time: 7200s, interval: 75s, probes: 9}}
        http: {http1MaxPendingRequests: 1, http2MaxRequests: 100, maxRequestsPerConnection: 5, maxRetries: 3, idleTimeout: 1m}
      outlierDetection:
        consecutive5xxErrors: 3
        consecutiveGatewayErrors: 2
        interval: 1s
        baseEjectionTime: 30s
        maxEjectionPercent: 50
        minHealthPercent: 0
  `));
  assert.deepEqual(dr.spec.trafficPolicy, {
    connectionPool: {
      tcp: { maxConnections: 10, connectTimeoutMs: 250, tcpKeepalive: { timeMs: 7_200_000, intervalMs: 75_000, probes: 9 } },
      http: { http1MaxPendingRequests: 1, http2MaxRequests: 100, maxRequestsPerConnection: 5, maxRetries: 3, idleTimeoutMs: 60_000 },
    },
    outlierDetection: {
      consecutive5xxErrors: 3,
      consecutiveGatewayErrors: 2,
      intervalMs: 1000,
      baseEjectionTimeMs: 30_000,
      maxEjectionPercent: 50,
      minHealthPercent: 0,
    },
  });
});

test('consecutiveErrors (the older spelling) is accepted with a warning naming what it counts', () => {
  const r = parse(withSpec('DestinationRule', 'host: r\ntrafficPolicy: {outlierDetection: {consecutiveErrors: 7}}'));
  assert.deepEqual(r.problems, [
    'warning spec.trafficPolicy.outlierDetection.consecutiveErrors: deprecated in Istio: counts gateway errors (502, 503, 504) only; use consecutiveGatewayErrors or consecutive5xxErrors',
  ]);
  const dr = r.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.deepEqual(dr.spec.trafficPolicy, { outlierDetection: { consecutiveErrors: 7 } });
});

test('portLevelSettings: per port number, unique, with the same policies', () => {
  const dr = parseValid('DestinationRule', withSpec('DestinationRule', `
    host: r
    trafficPolicy:
      portLevelSettings:
      - port: {number: 80}
        loadBalancer: {simple: RANDOM}
        connectionPool: {tcp: {maxConnections: 3}}
        outlierDetection: {consecutiveGatewayErrors: 2}
  `));
  assert.deepEqual(dr.spec.trafficPolicy, {
    portLevelSettings: [
      { port: { number: 80 }, loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 3 } }, outlierDetection: { consecutiveGatewayErrors: 2 } },
    ],
  });
  const problems = rejected('DestinationRule', `
    host: r
    trafficPolicy:
      portLevelSettings:
      - port: {number: 80}
      - port: {number: 80}
      - port: {number: 0}
      - connectionPool: {}
  `);
  assertProblem(problems, 'spec.trafficPolicy.portLevelSettings[1].port.number: duplicate port 80 (also at spec.trafficPolicy.portLevelSettings[0].port.number)');
  assertProblem(problems, 'spec.trafficPolicy.portLevelSettings[2].port.number: expected');
  assertProblem(problems, 'spec.trafficPolicy.portLevelSettings[3].port: required');
});

test('bad connectionPool and outlierDetection values name their field paths', () => {
  const problems = rejected('DestinationRule', `
    host: r
    trafficPolicy:
      connectionPool:
        tcp: {maxConnections: -1, connectTimeout: 0s}
        http: {http1MaxPendingRequests: "10", idelTimeout: 1s}
    subsets:
    - name: v1
      labels: {version: v1}
      trafficPolicy:
        outlierDetection: {maxEjectionPercent: 101, interval: soon}
  `);
  assertProblem(problems, 'spec.trafficPolicy.connectionPool.tcp.maxConnections: expected');
  assertProblem(problems, 'spec.trafficPolicy.connectionPool.tcp.connectTimeout: expected a duration of at least 1ms');
  assertProblem(problems, 'spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: expected', '(remove the quotes)');
  assertProblem(problems, 'spec.trafficPolicy.connectionPool.http.idelTimeout: unknown field', 'did you mean "idleTimeout"');
  assertProblem(problems, 'spec.subsets[0].trafficPolicy.outlierDetection.maxEjectionPercent: expected');
  assertProblem(problems, 'spec.subsets[0].trafficPolicy.outlierDetection.interval: expected a duration');
});

test('typos are errors with suggestions', () => {
  assert.deepEqual(rejected('DestinationRule', 'host: r\ntrafficPolicy: {loadbalancer: {simple: RANDOM}}'), [
    'spec.trafficPolicy.loadbalancer: unknown field "loadbalancer" (did you mean "loadBalancer"?)',
  ]);
  assert.deepEqual(rejected('DestinationRule', 'host: r\nsubset: []'), ['spec.subset: unknown field "subset" (did you mean "subsets"?)']);
});

test('trafficPolicy.tls: modes, MUTUAL needs its files, credentialName is refused', () => {
  const ok = parse(withSpec('DestinationRule', `
    host: api.example.com
    trafficPolicy:
      tls: {mode: MUTUAL, clientCertificate: /c.pem, privateKey: /k.pem, caCertificates: /ca.pem, sni: api.example.com, subjectAltNames: [api.example.com]}
      portLevelSettings: [{port: {number: 80}, tls: {mode: DISABLE}}]
  `));
  assert.deepEqual(ok.problems, []);
  const dr = ok.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.deepEqual(dr.spec.trafficPolicy?.tls, {
    mode: 'MUTUAL', clientCertificate: '/c.pem', privateKey: '/k.pem', caCertificates: '/ca.pem', subjectAltNames: ['api.example.com'], sni: 'api.example.com',
  });
  assert.deepEqual(dr.spec.trafficPolicy?.portLevelSettings?.[0]?.tls, { mode: 'DISABLE' });
  const bad = parse(withSpec('DestinationRule', `
    host: api.example.com
    trafficPolicy:
      tls: {mode: MUTUAL, credentialName: api-cert}
  `));
  assert.equal(bad.resources.length, 0);
  assert.deepEqual(bad.problems, [
    'spec.trafficPolicy.tls.credentialName: credentialName is not supported (it names a Kubernetes secret); give clientCertificate, privateKey and caCertificates as file paths',
    'spec.trafficPolicy.tls.clientCertificate: required when mode is MUTUAL',
    'spec.trafficPolicy.tls.privateKey: required when mode is MUTUAL',
  ]);
});
