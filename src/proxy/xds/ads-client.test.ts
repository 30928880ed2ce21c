import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { AdsClient } from './ads-client.js';
import type { XdsHandler, XdsType } from './ads-client.js';
import { TestAdsServer } from './test-ads-server.js';
import type { RecordedRequest } from './test-ads-server.js';
import { fromStruct } from '../../xds/ads-service.js';
import { TYPE_URL } from '../../xds/protos.js';
import { nodeId } from '../../xds/node-metadata.js';
import type { ProxyMetadata } from '../../xds/node-metadata.js';

const META: ProxyMetadata = {
  type: 'sidecar',
  NAME: 'shipping-v1-0',
  NAMESPACE: 'shop',
  WORKLOAD_NAME: 'shipping-v1',
  LABELS: { app: 'shipping', version: 'v1' },
  SERVICE_ACCOUNT: 'shipping',
  INSTANCE_IP: '127.0.1.2',
  ADMIN_ADDRESS: '127.0.1.2:15000',
  OUTBOUND_PORT: 15001,
  CLUSTER_ID: 'Local',
};

interface Applied {
  type: XdsType;
  names: string[];
  version: string;
}

/** Records what it is given; rejects an update when `reject` returns a message. */
function recordingHandler(reject: (a: Applied) => string | null = () => null): XdsHandler & { applied: Applied[] } {
  const applied: Applied[] = [];
  return {
    applied,
    onResources(type, resources, version) {
      const a = { type, names: [...resources.keys()], version };
      const err = reject(a);
      if (err === null) applied.push(a);
      return err;
    },
  };
}

async function setup(
  handler: XdsHandler,
  subscribe: (c: AdsClient) => void,
): Promise<{ server: TestAdsServer; client: AdsClient; done: () => void }> {
  const server = await TestAdsServer.start();
  const client = new AdsClient({
    address: server.address,
    node: { id: nodeId(META), cluster: 'shipping.shop', metadata: META },
    handler,
    initialBackoffMs: 20,
    maxBackoffMs: 100,
  });
  subscribe(client);
  const connected = once(client, 'connected');
  client.start();
  await connected;
  return {
    server,
    client,
    done: () => {
      client.stop();
      server.kill();
    },
  };
}

async function take(server: TestAdsServer, n: number): Promise<RecordedRequest[]> {
  const out: RecordedRequest[] = [];
  for (let i = 0; i < n; i++) out.push(await server.nextRequest());
  return out;
}

test('cds-ack-carries-version-and-nonce', async () => {
  const handler = recordingHandler();
  const { server, client, done } = await setup(handler, (c) => c.subscribe('cluster', '*'));
  try {
    const [first] = await take(server, 1);
    assert.equal(first?.req.type_url, TYPE_URL.cluster);
    assert.deepEqual(first?.req.resource_names, []);
    assert.equal(first?.req.version_info ?? '', '');
    assert.equal(first?.req.response_nonce ?? '', '');
    assert.equal(first?.req.node?.id, nodeId(META));

    server.push(TYPE_URL.cluster, 'v1', 'nonce-1', [{ name: 'outbound|80||a.shop' }, { name: 'outbound|80||b.shop' }]);
    const ack = await server.nextRequest();
    assert.equal(ack.req.type_url, TYPE_URL.cluster);
    assert.equal(ack.req.version_info, 'v1');
    assert.equal(ack.req.response_nonce, 'nonce-1');
    assert.equal(ack.req.error_detail, undefined);
    assert.equal(ack.req.node, undefined, 'node only in the first request of a stream');
    assert.deepEqual(handler.applied, [
      { type: 'cluster', names: ['outbound|80||a.shop', 'outbound|80||b.shop'], version: 'v1' },
    ]);
    assert.deepEqual(client.status().cluster, { ackedVersion: 'v1', lastNonce: 'nonce-1', lastError: null });
    assert.equal(client.connected, true);
  } finally {
    done();
  }
});

test('node-metadata-arrives-as-struct-and-round-trips', async () => {
  const { server, done } = await setup(recordingHandler(), (c) => c.subscribe('listener', '*'));
  try {
    const { req } = await server.nextRequest();
    const node = req.node;
    assert.ok(node?.metadata?.fields, 'metadata is a Struct with fields');
    assert.equal(node.cluster, 'shipping.shop');
    assert.equal(node.user_agent_name, 'weft-proxy');
    const labels = node.metadata.fields['LABELS'] ?? {};
    assert.ok('structValue' in labels || 'struct_value' in labels, 'nested object travels as struct_value');
    const port = node.metadata.fields['OUTBOUND_PORT'] ?? {};
    assert.ok('numberValue' in port || 'number_value' in port, 'number travels as number_value');
    assert.deepEqual(fromStruct(node.metadata), META);
  } finally {
    done();
  }
});

test('rejected-update-is-nacked-with-previous-version-and-message', async () => {
  const handler = recordingHandler((a) => (a.version === 'v2' ? 'cluster "bad": lb_policy unsupported' : null));
  const { server, client, done } = await setup(handler, (c) => c.subscribe('cluster', '*'));
  try {
    await server.nextRequest();
    server.push(TYPE_URL.cluster, 'v1', 'n1', [{ name: 'good' }]);
    assert.equal((await server.nextRequest()).req.version_info, 'v1');

    server.push(TYPE_URL.cluster, 'v2', 'n2', [{ name: 'good' }, { name: 'bad' }]);
    const nack = (await server.nextRequest()).req;
    assert.equal(nack.type_url, TYPE_URL.cluster);
    assert.equal(nack.version_info, 'v1', 'NACK carries the last ACKed version');
    assert.equal(nack.response_nonce, 'n2');
    assert.equal(nack.error_detail?.code, 3);
    assert.equal(nack.error_detail.message, 'cluster "bad": lb_policy unsupported');
    assert.deepEqual(client.status().cluster, {
      ackedVersion: 'v1',
      lastNonce: 'n2',
      lastError: 'cluster "bad": lb_policy unsupported',
    });

    // A later good version clears the error.
    server.push(TYPE_URL.cluster, 'v3', 'n3', [{ name: 'good' }]);
    const ack = (await server.nextRequest()).req;
    assert.equal(ack.version_info, 'v3');
    assert.equal(ack.error_detail, undefined);
    assert.equal(client.status().cluster.lastError, null);
  } finally {
    done();
  }
});

test('handler-exception-is-nacked', async () => {
  const handler: XdsHandler = {
    onResources() {
      throw new Error('boom');
    },
  };
  const { server, done } = await setup(handler, (c) => c.subscribe('cluster', '*'));
  try {
    await server.nextRequest();
    server.push(TYPE_URL.cluster, 'v1', 'n1', [{ name: 'a' }]);
    const nack = (await server.nextRequest()).req;
    assert.equal(nack.version_info ?? '', '');
    assert.equal(nack.error_detail?.message, 'applying cluster: boom');
  } finally {
    done();
  }
});

test('unknown-type-url-response-is-nacked', async () => {
  const handler = recordingHandler();
  const { server, client, done } = await setup(handler, (c) => c.subscribe('cluster', '*'));
  try {
    await server.nextRequest();
    const nackEvent = once(client, 'nack');
    server.send({ type_url: 'type.googleapis.com/example.Unknown', version_info: '9', nonce: 'u1', resources: [] });
    const nack = (await server.nextRequest()).req;
    assert.equal(nack.type_url, 'type.googleapis.com/example.Unknown');
    assert.equal(nack.response_nonce, 'u1');
    assert.equal(nack.error_detail?.code, 3);
    assert.match(nack.error_detail?.message ?? '', /unknown type_url "type\.googleapis\.com\/example\.Unknown"/);
    assert.deepEqual(await nackEvent, ['type.googleapis.com/example.Unknown', 'u1', nack.error_detail?.message]);
    assert.deepEqual(handler.applied, []);
  } finally {
    done();
  }
});

test('undecodable-resources-are-nacked-naming-the-index', async () => {
  const handler = recordingHandler();
  const { server, client, done } = await setup(handler, (c) => c.subscribe('cluster', '*'));
  try {
    await server.nextRequest();
    server.push(TYPE_URL.cluster, 'v1', 'n1', [{ name: 'a' }]);
    await server.nextRequest();

    // Resource 1 is of an unknown type inside a CDS response.
    server.send({
      type_url: TYPE_URL.cluster,
      version_info: 'v2',
      nonce: 'n2',
      resources: [
        { type_url: TYPE_URL.cluster, value: Buffer.from([0x0a, 0x01, 0x62]) },
        { type_url: 'type.googleapis.com/example.Unknown', value: Buffer.alloc(0) },
      ],
    });
    let nack = (await server.nextRequest()).req;
    assert.equal(nack.version_info, 'v1');
    assert.equal(nack.error_detail?.message, 'resource 1: unknown type_url "type.googleapis.com/example.Unknown"');

    // Resource 0 is a truncated message.
    server.send({
      type_url: TYPE_URL.cluster,
      version_info: 'v3',
      nonce: 'n3',
      resources: [{ type_url: TYPE_URL.cluster, value: Buffer.from([0x0a, 0x09, 0x62]) }],
    });
    nack = (await server.nextRequest()).req;
    assert.equal(nack.response_nonce, 'n3');
    assert.match(nack.error_detail?.message ?? '', /^resource 0: cannot decode cluster: /);

    // A resource without a name.
    server.push(TYPE_URL.cluster, 'v4', 'n4', [{ name: 'a' }, {}]);
    nack = (await server.nextRequest()).req;
    assert.equal(nack.error_detail?.message, 'resource 1: missing name');

    assert.deepEqual(handler.applied, [{ type: 'cluster', names: ['a'], version: 'v1' }]);
    assert.equal(client.status().cluster.ackedVersion, 'v1');
  } finally {
    done();
  }
});

test('response-for-unsubscribed-type-is-nacked', async () => {
  const handler = recordingHandler();
  const { server, done } = await setup(handler, (c) => c.subscribe('cluster', '*'));
  try {
    await server.nextRequest();
    server.push(TYPE_URL.route, 'v1', 'r1', [{ name: 'r' }]);
    const nack = (await server.nextRequest()).req;
    assert.equal(nack.type_url, TYPE_URL.route);
    assert.equal(nack.error_detail?.message, 'not subscribed to route');
    assert.deepEqual(handler.applied, []);
  } finally {
    done();
  }
});

test('endpoint-resources-are-named-by-cluster-name', async () => {
  const handler = recordingHandler();
  const { server, done } = await setup(handler, (c) => c.subscribe('endpoint', ['outbound|80||a.shop']));
  try {
    await server.nextRequest();
    server.push(TYPE_URL.endpoint, 'e1', 'n1', [{ cluster_name: 'outbound|80||a.shop', endpoints: [] }]);
    assert.equal((await server.nextRequest()).req.version_info, 'e1');
    assert.deepEqual(handler.applied, [{ type: 'endpoint', names: ['outbound|80||a.shop'], version: 'e1' }]);
  } finally {
    done();
  }
});

test('subscribe-change-sends-new-resource-names-only-when-changed', async () => {
  const handler = recordingHandler();
  const { server, client, done } = await setup(handler, (c) => c.subscribe('endpoint', ['a']));
  try {
    const first = (await server.nextRequest()).req;
    assert.equal(first.type_url, TYPE_URL.endpoint);
    assert.deepEqual(first.resource_names, ['a']);

    server.push(TYPE_URL.endpoint, 'e1', 'n1', [{ cluster_name: 'a' }]);
    assert.equal((await server.nextRequest()).req.version_info, 'e1');

    client.subscribe('endpoint', ['b', 'a']);
    const changed = (await server.nextRequest()).req;
    assert.equal(changed.type_url, TYPE_URL.endpoint);
    assert.deepEqual(changed.resource_names, ['a', 'b']);
    assert.equal(changed.version_info, 'e1', 'carries the ACKed version');
    assert.equal(changed.response_nonce, 'n1', 'and the latest nonce');
    assert.equal(changed.error_detail, undefined);

    // Same set in another order, with a duplicate: nothing goes out.
    client.subscribe('endpoint', ['a', 'b', 'a']);
    // A new type does go out, and is the very next request the server sees.
    client.subscribe('route', ['r1']);
    const next = (await server.nextRequest()).req;
    assert.equal(next.type_url, TYPE_URL.route);
    assert.deepEqual(next.resource_names, ['r1']);
    assert.equal(next.version_info ?? '', '');

    client.subscribe('endpoint', []);
    const emptied = (await server.nextRequest()).req;
    assert.equal(emptied.type_url, TYPE_URL.endpoint);
    assert.deepEqual(emptied.resource_names, []);
    assert.equal(server.pending(), 0);
  } finally {
    done();
  }
});

test('control-plane-restart-reconnects-and-resubscribes-with-acked-versions', async () => {
  const handler = recordingHandler();
  const { server, client, done } = await setup(handler, (c) => {
    // Subscribed out of order on purpose: the wire order is cds, eds, lds, rds.
    c.subscribe('route', ['r1']);
    c.subscribe('listener', '*');
    c.subscribe('endpoint', ['a', 'b']);
    c.subscribe('cluster', '*');
  });
  let restarted: TestAdsServer | undefined;
  try {
    const initial = await take(server, 4);
    assert.deepEqual(
      initial.map((r) => r.req.type_url),
      [TYPE_URL.cluster, TYPE_URL.endpoint, TYPE_URL.listener, TYPE_URL.route],
    );
    assert.deepEqual(
      initial.map((r) => r.req.node !== undefined),
      [true, false, false, false],
    );

    server.push(TYPE_URL.cluster, 'c1', 'n1', [{ name: 'a' }, { name: 'b' }]);
    server.push(TYPE_URL.endpoint, 'e7', 'n2', [{ cluster_name: 'a' }, { cluster_name: 'b' }]);
    const acks = await take(server, 2);
    assert.deepEqual(
      acks.map((r) => [r.req.version_info, r.req.response_nonce]),
      [
        ['c1', 'n1'],
        ['e7', 'n2'],
      ],
    );

    const disconnected = once(client, 'disconnected');
    const port = server.port;
    server.kill();
    await disconnected;
    assert.equal(client.connected, false);
    // Nothing is cleared while the control plane is away.
    assert.equal(client.status().cluster.ackedVersion, 'c1');
    assert.equal(handler.applied.length, 2);

    const reconnected = once(client, 'connected');
    restarted = await TestAdsServer.start(port);
    await reconnected;
    assert.equal(client.connected, true);

    const resent = await take(restarted, 4);
    assert.deepEqual(
      resent.map((r) => [r.req.type_url, r.req.version_info ?? '', r.req.response_nonce ?? '', r.req.resource_names]),
      [
        [TYPE_URL.cluster, 'c1', '', []],
        [TYPE_URL.endpoint, 'e7', '', ['a', 'b']],
        [TYPE_URL.listener, '', '', []],
        [TYPE_URL.route, '', '', ['r1']],
      ],
    );
    assert.equal(resent[0]?.req.node?.id, nodeId(META), 'node is sent again on the new stream');
    assert.deepEqual(
      resent.slice(1).map((r) => r.req.node),
      [undefined, undefined, undefined],
    );

    // The new stream works: a push is ACKed on it.
    restarted.push(TYPE_URL.listener, 'l1', 'm1', [{ name: 'virtualOutbound' }]);
    const ack = await restarted.nextRequest();
    assert.equal(ack.req.version_info, 'l1');
    assert.equal(ack.req.response_nonce, 'm1');
  } finally {
    done();
    restarted?.kill();
  }
});

test('client-started-before-control-plane-connects-when-it-appears', async () => {
  const probe = await TestAdsServer.start();
  const port = probe.port;
  probe.kill();
  const client = new AdsClient({
    address: `127.0.0.1:${port}`,
    node: { id: nodeId(META), cluster: 'shipping.shop', metadata: META },
    handler: recordingHandler(),
    initialBackoffMs: 20,
    maxBackoffMs: 100,
  });
  client.subscribe('cluster', '*');
  client.start();
  let server: TestAdsServer | undefined;
  try {
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(client.connected, false);
    const connected = once(client, 'connected');
    server = await TestAdsServer.start(port);
    await connected;
    const first = (await server.nextRequest()).req;
    assert.equal(first.type_url, TYPE_URL.cluster);
    assert.ok(first.node);
  } finally {
    client.stop();
    server?.kill();
  }
});

test('stop-emits-disconnected-and-stays-down', async () => {
  const { server, client, done } = await setup(recordingHandler(), (c) => c.subscribe('cluster', '*'));
  try {
    await server.nextRequest();
    const disconnected = once(client, 'disconnected');
    client.stop();
    assert.deepEqual(await disconnected, ['stopped']);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(client.connected, false);
    assert.equal(server.streams, 1);
  } finally {
    done();
  }
});
