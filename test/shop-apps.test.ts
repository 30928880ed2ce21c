// The shop sample apps (examples/shop) as real child processes, without a mesh: no HTTP_PROXY, so
// the mesh client connects directly, and ORDER_URL / SHIPPING_URL / INVOICING_URL (dev/test
// overrides, honoured only when set) point the callers at the apps' loopback ports.
//
// The apps run from their .ts sources with `node --import tsx`, the way `weft up` runs them (the
// workloads' command is `tsx <app>/main.ts`), so this tests exactly what the mesh runs and does not
// depend on dist/ being fresh. This file itself may run compiled (dist/test) or under tsx.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { meshRequest, propagatedHeaders } from '../examples/shop/lib/mesh-client.js';
import { openWs } from './harness/ws-client.js';
import { startH1Relay, startH2Relay, type Relay } from './fixtures/recording-relay.js';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
  return dir;
}

const SHOP_DIR = path.join(repoRoot(), 'examples', 'shop');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface App {
  name: string;
  url: string;
  proc: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function startApp(name: string, entry: string, port: number, env: Record<string, string>): App {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'ORDER_URL', 'SHIPPING_URL', 'INVOICING_URL', 'PRICING_ADDR']) {
    delete childEnv[key];
  }
  Object.assign(childEnv, { WEFT_HOST: '127.0.0.1', PORT: String(port), WEFT_INSTANCE: name, WEFT_WORKLOAD: name, WEFT_NAMESPACE: 'default' }, env);
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: SHOP_DIR, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { name, url: `http://127.0.0.1:${port}`, proc, output: () => out, exit };
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return (await res.json()) as T;
}

function postOrder(base: string, body: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(`${base}/api/orders`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface OrderJson {
  id: number;
  customer: string;
  item: string;
  quantity: number;
  createdAt: string;
  takenBy: string;
  price?: { unitPriceCents: number; amountCents: number; currency: string; quotedBy: string };
  shipping?: { costCents: number; estimatedDelivery?: string; quotedBy: string; version: string };
}
interface ShipmentJson { orderId: number; version: string; estimatedDelivery?: string }
interface InvoiceJson { orderId: number; quantity: number; unitPriceCents: number; amountCents: number; quotedBy: string }

describe('shop sample apps', () => {
  const apps: App[] = [];
  let order0: App, order1: App, shipV1: App, shipV2: App, invoicing: App, home: App, pricing: App;
  // What the order replicas send to pricing (gRPC) and shipping while taking an order.
  let pricingRelay: Relay, shippingRelay: Relay;
  let dataDir = '';

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-shop-test-'));
    const ports: number[] = [];
    while (ports.length < 7) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const [p0, p1, ps1, ps2, pi, ph, pp] = ports as [number, number, number, number, number, number, number];
    const orderUrl0 = `http://127.0.0.1:${p0}`;
    // Pollers first, while the order service is still down: they must keep retrying.
    shipV1 = startApp('shipping-v1-0', 'shipping/main.ts', ps1, { VERSION: 'v1', ORDER_URL: orderUrl0 });
    shipV2 = startApp('shipping-v2-0', 'shipping/main.ts', ps2, { VERSION: 'v2', ORDER_URL: `http://127.0.0.1:${p1}` });
    invoicing = startApp('invoicing-0', 'invoicing/main.ts', pi, { ORDER_URL: orderUrl0, PRICING_ADDR: `127.0.0.1:${pp}` });
    apps.push(shipV1, shipV2, invoicing);
    // The gRPC pricing service (no /healthz: ready once it logs that it listens).
    pricing = startApp('pricing-0', 'pricing/main.ts', pp, {});
    apps.push(pricing);
    await waitFor('pricing to listen', () => (pricing.output().includes('gRPC listening') ? true : undefined));
    await waitFor('pollers to notice the order service is down', () =>
      [shipV1, shipV2, invoicing].every((a) => a.output().includes('order feed unavailable')) || undefined,
    );
    // Two order replicas sharing one data directory, as in mesh.yaml. They quote every order with
    // the real pricing and shipping-v2 apps, through relays that record what order sent.
    pricingRelay = await startH2Relay(`127.0.0.1:${pp}`);
    shippingRelay = await startH1Relay(`http://127.0.0.1:${ps2}`);
    const quoteEnv = { PRICING_ADDR: pricingRelay.address, SHIPPING_URL: `http://${shippingRelay.address}` };
    order0 = startApp('order-0', 'order/main.ts', p0, { ORDER_DATA_DIR: dataDir, ...quoteEnv });
    order1 = startApp('order-1', 'order/main.ts', p1, { ORDER_DATA_DIR: dataDir, ...quoteEnv });
    home = startApp('home-0', 'home/main.ts', ph, {
      ORDER_URL: orderUrl0,
      SHIPPING_URL: `http://127.0.0.1:${ps2}`,
      INVOICING_URL: `http://127.0.0.1:${pi}`,
    });
    apps.push(order0, order1, home);
    for (const app of apps) if (app !== pricing) await waitFor(`${app.name} to be ready`, async () => ((await fetch(`${app.url}/healthz`)).ok ? true : undefined));
  });

  after(async () => {
    for (const app of apps) if (app.proc.exitCode === null) app.proc.kill('SIGKILL');
    await pricingRelay?.close();
    await shippingRelay?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('orders posted to either replica get unique ids and both replicas list them', async () => {
    const res = await postOrder(order0.url, { customer: 'Ada', item: 'teapot', quantity: 2 });
    assert.equal(res.status, 201);
    const a = (await res.json()) as OrderJson;
    assert.equal(a.customer, 'Ada');
    assert.equal(a.takenBy, 'order-0');
    assert.ok(Number.isInteger(a.id) && !Number.isNaN(Date.parse(a.createdAt)));
    const b = (await (await postOrder(order1.url, { customer: 'Bob', item: 'mug', quantity: 1 })).json()) as OrderJson;
    assert.equal(b.id, a.id + 1);
    for (const replica of [order0, order1]) {
      const ids = (await getJson<OrderJson[]>(`${replica.url}/api/orders`)).map((o) => o.id);
      assert.ok(ids.includes(a.id) && ids.includes(b.id), `${replica.name} lists both orders`);
      const feed = await getJson<OrderJson[]>(`${replica.url}/feed?after=${a.id}`);
      assert.deepEqual(feed.map((o) => o.id), [b.id]);
    }
    assert.deepEqual(await getJson(`${order1.url}/api/orders/${a.id}`), a);
  });

  test('rejects invalid orders', async () => {
    const bad: unknown[] = [
      {},
      { customer: 'C', item: 'mug', quantity: 0 },
      { customer: 'C', item: 'mug', quantity: 2.5 },
      { customer: 'C', item: 'mug', quantity: 101 },
      { customer: 'C', item: 'unicorn', quantity: 1 },
      { customer: '   ', item: 'mug', quantity: 1 },
      { customer: 'x'.repeat(101), item: 'mug', quantity: 1 },
      { customer: 42, item: 'mug', quantity: 1 },
      [],
      'not json',
    ];
    for (const body of bad) {
      const res = await postOrder(order0.url, body);
      assert.equal(res.status, 400, `400 for ${JSON.stringify(body)}`);
      assert.equal(typeof ((await res.json()) as { error: unknown }).error, 'string');
    }
    assert.equal((await postOrder(order0.url, 'customer=C&item=mug&quantity=1', 'text/plain')).status, 415);
    const huge = await postOrder(order0.url, { customer: 'C', item: 'mug', quantity: 1, pad: 'x'.repeat(100_000) });
    assert.equal(huge.status, 413);
    assert.equal((await fetch(`${order0.url}/feed?after=abc`)).status, 400);
    assert.equal((await fetch(`${order0.url}/api/orders`, { method: 'DELETE' })).status, 405);
  });

  test('the order page form creates orders and redisplays errors', async () => {
    const ok = await fetch(`${order1.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'customer=Form+User&item=coffee&quantity=3',
      redirect: 'manual',
    });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), './');
    const bad = await fetch(`${order1.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'customer=%3Cb%3EEve&item=coffee&quantity=0',
    });
    assert.equal(bad.status, 400);
    const page = await bad.text();
    assert.match(page, /quantity must be a whole number/);
    assert.match(page, /value="&lt;b&gt;Eve"/);
    assert.ok((await getJson<OrderJson[]>(`${order0.url}/api/orders`)).some((o) => o.customer === 'Form User'));
  });

  test('placing an order (JSON API) quotes it with pricing over gRPC and shipping, forwarding the trace headers', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const requestId = randomUUID();
    const incoming = {
      traceparent: `00-${traceId}-${parentId}-01`,
      tracestate: 'shop=test',
      b3: `${traceId}-${parentId}-1`,
      'x-request-id': requestId,
      'x-canary': 'true',
    };
    const res = await fetch(`${order0.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...incoming },
      body: JSON.stringify({ customer: 'Trace', item: 'teapot', quantity: 2 }),
    });
    assert.equal(res.status, 201);
    const order = (await res.json()) as OrderJson;
    // The quotes were asked before the order was answered, from the real apps.
    assert.deepEqual(order.price, { unitPriceCents: 2450, amountCents: 4900, currency: 'EUR', quotedBy: 'pricing-0' });
    assert.equal(order.shipping?.costCents, 490 + 50);
    assert.equal(order.shipping?.quotedBy, 'shipping-v2-0');
    assert.match(order.shipping?.estimatedDelivery ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(await getJson(`${order1.url}/api/orders/${order.id}`), order, 'stored with the quotes');

    // pricing got one Quote call carrying the caller's trace as gRPC metadata (h2 headers) ...
    const toPricing = pricingRelay.seen.filter((r) => r.headers['x-request-id'] === requestId);
    assert.equal(toPricing.length, 1, JSON.stringify(pricingRelay.seen));
    const grpcCall = toPricing[0]!;
    assert.equal(grpcCall.path, '/weft.shop.pricing.v1.Pricing/Quote');
    assert.match(grpcCall.headers['content-type'] ?? '', /^application\/grpc/);
    assert.equal(grpcCall.headers[':authority'], 'pricing.default.svc.cluster.local:50051');
    // ... and shipping one quote request with the same trace, as HTTP headers.
    const toShipping = shippingRelay.seen.filter((r) => r.headers['x-request-id'] === requestId);
    assert.equal(toShipping.length, 1, JSON.stringify(shippingRelay.seen));
    assert.equal(toShipping[0]!.path, '/api/quote?item=teapot&quantity=2');
    for (const call of [grpcCall, toShipping[0]!]) {
      assert.equal(call.headers.traceparent?.split('-')[1], traceId, `${call.path}: same W3C trace id`);
      assert.equal(call.headers.b3?.split('-')[0], traceId, `${call.path}: same B3 trace id`);
      // Without a sidecar in between nothing rewrites them: the headers arrive as sent.
      for (const [name, value] of Object.entries(incoming)) assert.equal(call.headers[name], value, `${call.path}: ${name}`);
    }
  });

  test('placing an order with the page form forwards B3 multi-header trace context the same way', async () => {
    const traceId = randomBytes(16).toString('hex');
    const spanId = randomBytes(8).toString('hex');
    const requestId = randomUUID();
    const incoming = { 'x-b3-traceid': traceId, 'x-b3-spanid': spanId, 'x-b3-sampled': '1', 'x-request-id': requestId };
    const res = await fetch(`${order1.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...incoming },
      body: 'customer=Form+Trace&item=mug&quantity=3',
      redirect: 'manual',
    });
    assert.equal(res.status, 303);
    for (const relay of [pricingRelay, shippingRelay]) {
      const calls = relay.seen.filter((r) => r.headers['x-request-id'] === requestId);
      assert.equal(calls.length, 1, JSON.stringify(relay.seen));
      for (const [name, value] of Object.entries(incoming)) assert.equal(calls[0]!.headers[name], value, `${calls[0]!.path}: ${name}`);
    }
    const order = (await getJson<OrderJson[]>(`${order0.url}/api/orders`)).find((o) => o.customer === 'Form Trace');
    assert.equal(order?.price?.amountCents, 3 * 850);
    assert.equal(order?.shipping?.costCents, 490 + 2 * 50);
    assert.match(await (await fetch(`${order0.url}/`)).text(), /€25\.50/, 'the page shows the quoted price');
  });

  test('an order is still taken when pricing and shipping do not answer', async () => {
    pricingRelay.down = true;
    shippingRelay.down = true;
    try {
      const res = await postOrder(order0.url, { customer: 'Unquoted', item: 'notebook', quantity: 1 });
      assert.equal(res.status, 201);
      const order = (await res.json()) as OrderJson;
      assert.equal(order.price, undefined);
      assert.equal(order.shipping, undefined);
      assert.match(order0.output(), /no price quote \(14 UNAVAILABLE: relay is down\)/);
      assert.match(order0.output(), /no shipping quote \(.*HTTP 503/);
      // invoicing still prices it on its own.
      const invoice = await waitFor(`invoice for order ${order.id}`, async () =>
        (await getJson<InvoiceJson[]>(`${invoicing.url}/api/invoices`)).find((i) => i.orderId === order.id),
      );
      assert.equal(invoice.amountCents, 399);
    } finally {
      pricingRelay.down = false;
      shippingRelay.down = false;
    }
  });

  test('shipping quotes: v2 estimates delivery, bad input is a 400', async () => {
    const v1 = await getJson<OrderJson['shipping'] & { item: string }>(`${shipV1.url}/api/quote?item=grinder&quantity=1`);
    assert.deepEqual(v1, { item: 'grinder', quantity: 1, costCents: 490, quotedBy: 'shipping-v1-0', version: 'v1' });
    for (const q of ['item=unicorn&quantity=1', 'item=mug&quantity=0', 'item=mug&quantity=101', 'item=mug&quantity=1.5', 'item=mug']) {
      assert.equal((await fetch(`${shipV2.url}/api/quote?${q}`)).status, 400, q);
    }
  });

  test('shipping (v1 and v2) and invoicing pick up new orders from the feed', async () => {
    const res = await postOrder(order1.url, { customer: 'Grace', item: 'grinder', quantity: 3 });
    const order = (await res.json()) as OrderJson;
    for (const ship of [shipV1, shipV2]) {
      const shipments = await waitFor(`${ship.name} to ship order ${order.id}`, async () => {
        const list = await getJson<ShipmentJson[]>(`${ship.url}/api/shipments`);
        return list.some((s) => s.orderId === order.id) ? list : undefined;
      });
      const ids = shipments.map((s) => s.orderId);
      assert.equal(new Set(ids).size, ids.length, 'one shipment per order');
      const mine = shipments.find((s) => s.orderId === order.id)!;
      assert.equal(mine.version, ship === shipV2 ? 'v2' : 'v1');
      assert.equal(typeof mine.estimatedDelivery, ship === shipV2 ? 'string' : 'undefined');
    }
    const invoice = await waitFor(`invoice for order ${order.id}`, async () =>
      (await getJson<InvoiceJson[]>(`${invoicing.url}/api/invoices`)).find((i) => i.orderId === order.id),
    );
    assert.equal(invoice.quantity, 3);
    assert.equal(invoice.unitPriceCents, 7900);
    assert.equal(invoice.amountCents, 3 * 7900);
    assert.equal(invoice.quotedBy, 'pricing-0', 'the amount came from the gRPC pricing service');
    // Every page says who served it.
    const page = await (await fetch(`${shipV2.url}/`)).text();
    assert.match(page, /shipping-v2-0/);
    assert.match(page, /version <b>v2<\/b>/);
  });

  test('order: the live feed (WebSocket /live) sends past orders, then new ones as they come', async () => {
    const ws = await openWs('127.0.0.1', Number(new URL(order0.url).port), '/live?after=0');
    const first = JSON.parse(await ws.next()) as OrderJson & { pushedBy: string };
    assert.equal(first.id, 1, 'starts after ?after=0');
    assert.equal(first.pushedBy, 'order-0');
    // An order taken by the other replica still reaches this watcher (shared store).
    const created = (await (await postOrder(order1.url, { customer: 'Live', item: 'mug', quantity: 4 })).json()) as OrderJson;
    let got: OrderJson | undefined;
    for (let i = 0; i < 100 && got?.id !== created.id; i++) got = JSON.parse(await ws.next()) as OrderJson;
    assert.equal(got?.customer, 'Live');
    ws.close();
    // Not an upgrade, or another path: plain HTTP answers.
    assert.equal((await fetch(`${order0.url}/live`)).status, 404);
  });

  test('escapes user input on every page', async () => {
    const evil = '<script>alert("pwned")</script>';
    const order = (await (await postOrder(order0.url, { customer: evil, item: 'mug', quantity: 1 })).json()) as OrderJson;
    assert.equal(order.customer, evil, 'stored as entered');
    const escaped = '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;';
    await waitFor('shipping and invoicing to see the order', async () => {
      const s = await getJson<ShipmentJson[]>(`${shipV1.url}/api/shipments`);
      const i = await getJson<InvoiceJson[]>(`${invoicing.url}/api/invoices`);
      return s.some((x) => x.orderId === order.id) && i.some((x) => x.orderId === order.id) ? true : undefined;
    });
    for (const url of [order0.url, order1.url, shipV1.url, shipV2.url, invoicing.url]) {
      const page = await waitFor(`${url}/ to show the order`, async () => {
        const text = await (await fetch(`${url}/`)).text();
        return text.includes(escaped) ? text : undefined;
      });
      assert.ok(!page.includes('<script>alert'), `${url}/ must not contain the raw script`);
    }
  });

  test('pollers logged the outage once and recovered', () => {
    for (const app of [shipV1, shipV2, invoicing]) {
      assert.equal(app.output().split('order feed unavailable').length - 1, 1, `${app.name} logs the outage once`);
      assert.match(app.output(), /order feed is reachable again/);
    }
  });

  test('home links the pages by relative path, summarises the services, and fixes missing slashes', async () => {
    const page = await (await fetch(`${home.url}/`)).text();
    for (const link of ['order/', 'shipping/', 'invoicing/']) assert.ok(page.includes(`href="${link}"`), link);
    assert.match(page, /\d+ orders/);
    assert.match(page, /shipping-v2-0 \(v2\)/);
    const res = await fetch(`${home.url}/shipping`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), 'shipping/');
  });

  test('shuts down cleanly on SIGTERM', async () => {
    for (const app of apps) app.proc.kill('SIGTERM');
    for (const app of apps) assert.equal(await app.exit, 0, `${app.name} exit code\n${app.output()}`);
  });
});

describe('mesh client', () => {
  test('sends absolute-form requests with the mesh Host to the proxy and forwards tracing headers', async () => {
    const seen: { url?: string; host?: string; headers?: http.IncomingHttpHeaders } = {};
    const proxy = http.createServer((req, res) => {
      Object.assign(seen, { url: req.url, host: req.headers.host, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as net.AddressInfo;
      const incoming = { 'x-request-id': 'req-1', traceparent: '00-abc-def-01', 'x-b3-traceid': 'b3t', 'x-canary': 'true', cookie: 'secret' };
      const res = await meshRequest('http://order.default.svc.cluster.local/feed?after=3', {
        proxy: `http://127.0.0.1:${port}`,
        headers: propagatedHeaders(incoming),
      });
      assert.equal(res.status, 200);
      assert.equal(seen.url, 'http://order.default.svc.cluster.local/feed?after=3');
      assert.equal(seen.host, 'order.default.svc.cluster.local');
      assert.equal(seen.headers?.['x-request-id'], 'req-1');
      assert.equal(seen.headers?.traceparent, '00-abc-def-01');
      assert.equal(seen.headers?.['x-b3-traceid'], 'b3t');
      assert.equal(seen.headers?.['x-canary'], 'true');
      assert.equal(seen.headers?.cookie, undefined, 'only tracing/routing headers are forwarded');
      // Without a proxy the request goes straight to the URL's host, in origin form.
      await meshRequest(`http://127.0.0.1:${port}/direct?x=1`, { proxy: null });
      assert.equal(seen.url, '/direct?x=1');
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});
