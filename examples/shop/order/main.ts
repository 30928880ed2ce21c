// order: customers enter orders (web form + JSON API); other services poll GET /feed?after=<id>.
//
//   GET  /                    page: order form and list of orders
//   POST /                    the page's form post (urlencoded); 303 back to the page
//   GET  /api/orders          all orders, oldest first
//   POST /api/orders          {customer, item, quantity} -> 201 with the order (id, createdAt,
//                             price and shipping quotes)
//   GET  /api/orders/<id>     one order
//   GET  /feed?after=<id>     orders with id > after (at most 100), for pollers
//   GET  /live?after=<id>     WebSocket: every order with id > after, then each new one as it
//                             comes (one JSON text message per order; checked every 500 ms)
//
// Taking an order (POST / and POST /api/orders), the service first asks pricing (gRPC) and
// shipping for quotes, forwarding the request's trace headers (quotes.ts), then stores the order
// with them and answers: one order through the gateway is one trace.
//
// ORDER_DATA_DIR: directory shared by the replicas (see store.ts); unset = private temp dir.

import { rmSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Order } from '../lib/orders.js';
import { CATALOG, formatCents } from '../lib/orders.js';
import { html, renderPage } from '../lib/html.js';
import type { SafeHtml } from '../lib/html.js';
import { appInfo, HttpError, log, notFound, readFormBody, readJsonBody, redirect, sendHtml, sendJson, startApp } from '../lib/http.js';
import { OrderStore } from './store.js';
import { OrderQuoter } from './quotes.js';
import { acceptWebSocket } from '../lib/websocket.js';
import { closeMeshClient } from '../lib/mesh-client.js';

const FEED_PAGE_SIZE = 100;
const MAX_QUANTITY = 100;
const MAX_CUSTOMER_LENGTH = 100;

type OrderInput = Pick<Order, 'customer' | 'item' | 'quantity'>;

/** Validates an order from JSON (numbers) or from the form (strings); throws 400 listing all problems. */
function validateOrder(input: unknown): OrderInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new HttpError(400, 'expected a JSON object {customer, item, quantity}');
  }
  const { customer, item, quantity } = input as Record<string, unknown>;
  const problems: string[] = [];
  const name = typeof customer === 'string' ? customer.trim() : '';
  if (name === '') problems.push('customer is required');
  else if (name.length > MAX_CUSTOMER_LENGTH) problems.push(`customer must be at most ${MAX_CUSTOMER_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  else if (/[\u0000-\u001f\u007f]/.test(name)) problems.push('customer must not contain control characters');
  if (typeof item !== 'string' || !Object.hasOwn(CATALOG, item)) {
    problems.push(`item must be one of: ${Object.keys(CATALOG).join(', ')}`);
  }
  const qty = typeof quantity === 'string' && /^\d{1,6}$/.test(quantity.trim()) ? Number(quantity) : quantity;
  if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1 || qty > MAX_QUANTITY) {
    problems.push(`quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
  }
  if (problems.length > 0) throw new HttpError(400, problems.join('; '));
  return { customer: name, item: item as string, quantity: qty as number };
}

function orderPage(orders: Order[], form: { error?: string; values?: Record<string, string> } = {}): string {
  const v = form.values ?? {};
  const options = Object.entries(CATALOG).map(
    ([id, p]) => html`<option value="${id}" ${v.item === id ? 'selected' : ''}>${p.name} (${formatCents(p.priceCents)})</option>`,
  );
  const rows: SafeHtml[] = orders
    .slice(-100)
    .reverse()
    .map(
      (o) => html`<tr><td>${o.id}</td><td>${o.customer}</td><td>${CATALOG[o.item]?.name ?? o.item}</td>
<td>${o.quantity}</td><td>${o.price ? formatCents(o.price.amountCents) : '—'}</td><td>${o.shipping ? formatCents(o.shipping.costCents) : '—'}</td>
<td>${o.createdAt}</td><td>${o.takenBy}</td></tr>`,
    );
  const body = html`<p>Enter an order. Shipping and invoicing poll this service's feed through the mesh
and create a shipment and an invoice for every new order. The order service runs as two replicas
that share their orders; "taken by" shows which replica accepted each one. Before it answers,
the replica taking an order asks pricing (gRPC, <code>${quoter.pricingAuthority}</code>) and
shipping for quotes through its sidecar, forwarding the trace headers: placing an order is one
trace (gateway → order → pricing, shipping).</p>
${form.error ? html`<p class="error">${form.error}</p>` : ''}
<form method="post" action="./">
<label>Customer <input name="customer" required maxlength="${MAX_CUSTOMER_LENGTH}" value="${v.customer ?? ''}"></label>
<label>Item <select name="item">${options}</select></label>
<label>Quantity <input name="quantity" type="number" min="1" max="${MAX_QUANTITY}" value="${v.quantity ?? '1'}"></label>
<button type="submit">Order</button></form>
<h2>Orders (${orders.length})</h2>
<table><tr><th>#</th><th>Customer</th><th>Item</th><th>Qty</th><th>Price</th><th>Shipping</th><th>Created</th><th>Taken by</th></tr>${rows}</table>
<p>JSON: <a href="api/orders">api/orders</a> · feed: <a href="feed?after=0">feed?after=0</a> ·
live (WebSocket): <code>live?after=0</code> <span id="live"></span></p>
<script>
// New orders arrive over a WebSocket through the gateway and both sidecars.
(() => {
  const el = document.getElementById('live');
  const ws = new WebSocket(location.href.replace(/^http/, 'ws').replace(/[^/]*$/, '') + 'live?after=${String(orders.at(-1)?.id ?? 0)}');
  ws.onmessage = (m) => { const o = JSON.parse(m.data); el.textContent = 'new: #' + o.id + ' ' + o.customer + ' (' + o.quantity + ' x ' + o.item + ')'; };
  ws.onopen = () => { el.textContent = 'connected'; };
})();
</script>`;
  return renderPage({ title: 'Orders', root: '../', body });
}

const store = await OrderStore.open(process.env.ORDER_DATA_DIR);
log(`orders stored in ${store.dir}`);

const quoter = new OrderQuoter();

/** Quotes `input` (forwarding the trace headers of `incoming`), then stores it. */
async function create(input: OrderInput, incoming: IncomingHttpHeaders): Promise<Order> {
  const quotes = await quoter.quote(input, incoming);
  const order = await store.create({ ...input, takenBy: appInfo().instance, ...quotes });
  const price = order.price ? formatCents(order.price.amountCents) : 'no price yet';
  log(`order ${order.id}: ${order.quantity} x ${order.item} for ${JSON.stringify(order.customer)} (${price})`);
  return order;
}

const server = startApp({
  async handler(req, res, url) {
    const route = `${req.method} ${url.pathname}`;
    const one = /^\/api\/orders\/(\d+)$/.exec(url.pathname);
    if (route === 'GET /') return sendHtml(res, 200, orderPage(await store.list()));
    if (route === 'POST /') {
      const values = Object.fromEntries(await readFormBody(req));
      try {
        await create(validateOrder(values), req.headers);
        return redirect(res, 303, './');
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        return sendHtml(res, err.status, orderPage(await store.list(), { error: err.message, values }));
      }
    }
    if (route === 'GET /api/orders') return sendJson(res, 200, await store.list());
    if (route === 'POST /api/orders') {
      const order = await create(validateOrder(await readJsonBody(req)), req.headers);
      res.setHeader('location', `orders/${order.id}`);
      return sendJson(res, 201, order);
    }
    if (req.method === 'GET' && one) {
      const [order] = await store.list(Number(one[1]) - 1, 1);
      if (order?.id !== Number(one[1])) notFound();
      return sendJson(res, 200, order);
    }
    if (route === 'GET /feed') {
      const after = url.searchParams.get('after') ?? '0';
      if (!/^\d{1,15}$/.test(after)) throw new HttpError(400, 'after must be a non-negative integer');
      return sendJson(res, 200, await store.list(Number(after), FEED_PAGE_SIZE));
    }
    if (['/', '/api/orders', '/feed'].includes(url.pathname)) throw new HttpError(405, 'method not allowed');
    notFound();
  },
  onShutdown() {
    quoter.close();
    closeMeshClient();
    // A private temp dir (no ORDER_DATA_DIR) dies with the process.
    if (!process.env.ORDER_DATA_DIR) rmSync(store.dir, { recursive: true, force: true });
  },
});

// The live feed: a WebSocket per watcher. The replicas share the store, so each one polls it and
// also sees orders the other replica took.
server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
  const url = new URL(req.url ?? '/', 'http://app.invalid');
  if (url.pathname !== '/live') {
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nnot found\n');
    return;
  }
  const ws = acceptWebSocket(req, socket);
  if (!ws) return;
  let after = Number(url.searchParams.get('after') ?? '0') || 0;
  let busy = false;
  const push = async (): Promise<void> => {
    if (busy || ws.closed) return;
    busy = true;
    try {
      for (const order of await store.list(after, FEED_PAGE_SIZE)) {
        ws.sendText(JSON.stringify({ ...order, pushedBy: appInfo().instance }));
        after = order.id;
      }
    } finally {
      busy = false;
    }
  };
  void push();
  const timer = setInterval(() => void push(), 500);
  ws.onClose(() => clearInterval(timer));
});
