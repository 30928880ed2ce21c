// DestinationRule connectionPool.tcp.idleTimeout / maxConnectionDuration → the outbound
// tcp_proxy's idle_timeout / max_downstream_connection_duration (as Istio), subset and
// port-level policies included; nothing added without them; the API reads them with field paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadResources, proxyOf, sidecarMetadata, snapshotOf, assertAllEncode } from './golden.js';
import { translate } from './index.js';
import type { Json } from './clusters.js';
import { parse as parseResources } from '../../api/test-helpers.js';

const BASE = `
apiVersion: weft.dev/v1alpha1
kind: Workload
metadata: {name: db, labels: {app: db}}
spec:
  service: db
  ports: [{name: tcp-pg, containerPort: 15432, servicePort: 5432, protocol: TCP}]
  command: [postgres]
`;

function tcpProxyOf(yaml: string): Json {
  const res = translate(snapshotOf(loadResources(yaml, 'inline.yaml')), proxyOf(sidecarMetadata()));
  assertAllEncode(res);
  const l = res.listener.get('127.0.9.1_5432') as { filter_chains: { filters: { typed_config: Json }[] }[] } | undefined;
  assert.ok(l, 'outbound tcp listener');
  return l.filter_chains[0]!.filters[0]!.typed_config;
}

test('tcp-idle-timeout-and-max-connection-duration-go-on-the-outbound-tcp-proxy', () => {
  const tc = tcpProxyOf(`${BASE}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1, idleTimeout: 30s, maxConnectionDuration: 1.5s}
`);
  assert.equal(tc.cluster, 'outbound|5432||db.default.svc.cluster.local');
  assert.equal(tc.idle_timeout, '30s');
  assert.equal(tc.max_downstream_connection_duration, '1.5s');
});

test('tcp-timeouts-follow-the-subset-and-port-level-policy-and-0s-turns-idle-off', () => {
  const tc = tcpProxyOf(`${BASE}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  trafficPolicy:
    connectionPool: {tcp: {idleTimeout: 30s}}
    portLevelSettings:
    - port: {number: 5432}
      connectionPool: {tcp: {idleTimeout: 10s}}
  subsets:
  - name: v1
    labels: {app: db}
    trafficPolicy:
      connectionPool: {tcp: {idleTimeout: 0s, maxConnectionDuration: 1h}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec:
  hosts: [db]
  tcp:
  - route: [{destination: {host: db, subset: v1}}]
`);
  assert.equal(tc.cluster, 'outbound|5432|v1|db.default.svc.cluster.local');
  assert.equal(tc.idle_timeout, '0s');
  assert.equal(tc.max_downstream_connection_duration, '3600s');
  const portLevel = tcpProxyOf(`${BASE}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  trafficPolicy:
    connectionPool: {tcp: {idleTimeout: 30s}}
    portLevelSettings:
    - port: {number: 5432}
      connectionPool: {tcp: {idleTimeout: 10s}}
`);
  assert.equal(portLevel.idle_timeout, '10s');
});

test('tcp-proxy-without-tcp-timeouts-in-the-rule-gets-none', () => {
  const tc = tcpProxyOf(`${BASE}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 5}}}
`);
  assert.equal('idle_timeout' in tc, false);
  assert.equal('max_downstream_connection_duration' in tc, false);
  assert.equal('idle_timeout' in tcpProxyOf(BASE), false);
});

test('tcp-timeouts-are-read-without-warnings-and-bad-values-name-the-field', () => {
  const ok = parseResources(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  trafficPolicy: {connectionPool: {tcp: {idleTimeout: 0s, maxConnectionDuration: 2m}}}
`, 'dr.yaml');
  assert.deepEqual(ok.problems, []);
  const dr = ok.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.deepEqual(dr.spec.trafficPolicy?.connectionPool?.tcp, { idleTimeoutMs: 0, maxConnectionDurationMs: 120_000 });
  const bad = parseResources(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  trafficPolicy: {connectionPool: {tcp: {idleTimeout: soon, maxConnectionDuration: 0s}}}
`, 'dr.yaml');
  const text = bad.problems.join('\n');
  assert.match(text, /spec\.trafficPolicy\.connectionPool\.tcp\.idleTimeout: expected a duration/);
  assert.match(text, /spec\.trafficPolicy\.connectionPool\.tcp\.maxConnectionDuration: expected a duration of at least 1ms/);
});

test('tls-passthrough-chains-get-their-own-destinations-tcp-timeouts', () => {
  const res = translate(
    snapshotOf(
      loadResources(
        `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.example.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 443, name: tls-api, protocol: TLS}]
  endpoints: [{address: 10.1.3.1}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web}
spec:
  hosts: [web.example.internal]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 443, name: https-web, protocol: HTTPS}]
  endpoints: [{address: 10.1.3.3}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web.example.internal
  trafficPolicy: {connectionPool: {tcp: {idleTimeout: 5m, maxConnectionDuration: 1h}}}
`,
        'inline.yaml',
      ),
    ),
    proxyOf(sidecarMetadata()),
  );
  assertAllEncode(res);
  const l = res.listener.get('127.0.9.1_443') as { filter_chains: { filter_chain_match?: { server_names: string[] }; filters: { typed_config: Json }[] }[] } | undefined;
  assert.ok(l, 'outbound TLS passthrough listener');
  const byName = new Map(l.filter_chains.map((c) => [c.filter_chain_match?.server_names.join(',') ?? '(default)', c.filters[0]!.typed_config]));
  const web = byName.get('web.example.internal');
  assert.equal(web?.idle_timeout, '300s');
  assert.equal(web?.max_downstream_connection_duration, '3600s');
  const api = byName.get('api.example.internal');
  assert.ok(api);
  assert.equal('idle_timeout' in api, false, 'a service without the rule keeps the default');
});
