// invoicing: polls the order feed through the mesh and creates one invoice per order
// (idempotent by order id); the amount is quoted by the pricing service over gRPC, through the
// sidecar. Orders that cannot be priced yet (pricing down) wait and are tried again.
//
//   GET /                page: invoices (reloads every 5 s)
//   GET /api/invoices    all invoices, oldest first

import { FeedPoller } from '../lib/feed-poller.js';
import { html, renderPage } from '../lib/html.js';
import { appInfo, HttpError, log, notFound, sendHtml, sendJson, startApp } from '../lib/http.js';
import { closeMeshClient } from '../lib/mesh-client.js';
import { PricingClient } from '../lib/pricing-client.js';
import type { Order } from '../lib/orders.js';
import { CATALOG, formatCents } from '../lib/orders.js';

interface Invoice {
  id: string;
  orderId: number;
  customer: string;
  item: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
  /** amountCents / 100, for people reading the JSON. */
  amount: number;
  currency: 'EUR';
  createdAt: string;
  issuedBy: string;
  /** The pricing instance that quoted the amount (over gRPC). */
  quotedBy: string;
}

const info = appInfo();
const invoices = new Map<number, Invoice>();

const pricing = new PricingClient();
/** Orders waiting for a price (pricing unavailable), by order id. */
const unpriced = new Map<number, Order>();
let pricingFailing = false;

async function invoice(order: Order): Promise<void> {
  if (invoices.has(order.id)) return; // idempotent by order id
  const product = Object.hasOwn(CATALOG, order.item) ? CATALOG[order.item] : undefined;
  if (!product) {
    log(`order ${order.id}: unknown item ${JSON.stringify(order.item)}, no invoice`);
    return;
  }
  let quote;
  try {
    quote = await pricing.quote({ item: order.item, quantity: order.quantity });
  } catch (err) {
    unpriced.set(order.id, order);
    if (!pricingFailing) log(`pricing unavailable (${(err as Error).message}); order ${order.id} waits`);
    pricingFailing = true;
    return;
  }
  if (pricingFailing) log('pricing is back');
  pricingFailing = false;
  unpriced.delete(order.id);
  if (invoices.has(order.id)) return;
  invoices.set(order.id, {
    id: `I-${order.id}`,
    orderId: order.id,
    customer: order.customer,
    item: order.item,
    quantity: order.quantity,
    unitPriceCents: quote.unitPriceCents,
    amountCents: quote.amountCents,
    amount: quote.amountCents / 100,
    currency: 'EUR',
    createdAt: new Date().toISOString(),
    issuedBy: info.instance,
    quotedBy: quote.quotedBy,
  });
  log(`invoice I-${order.id} for order ${order.id}: ${formatCents(quote.amountCents)} (quoted by ${quote.quotedBy})`);
}

const retryTimer = setInterval(() => {
  for (const order of unpriced.values()) void invoice(order);
}, 1000);

function invoicingPage(): string {
  const list = [...invoices.values()].reverse().slice(0, 100);
  const total = [...invoices.values()].reduce((sum, i) => sum + i.amountCents, 0);
  const rows = list.map(
    (i) => html`<tr><td>${i.id}</td><td>${i.orderId}</td><td>${i.customer}</td>
<td>${i.quantity} × ${CATALOG[i.item]?.name ?? i.item} à ${formatCents(i.unitPriceCents)}</td><td>${formatCents(i.amountCents)}</td><td>${i.createdAt}</td></tr>`,
  );
  const body = html`<p>Invoicing polls the order feed every second through its sidecar
(<code>${poller.feedBase}</code>) and bills every new order at the price the pricing service
quotes over gRPC (<code>${pricing.target.authority}</code>, through the sidecar).</p>
<h2>Invoices (${invoices.size}, total ${formatCents(total)})</h2>
<table><tr><th>Invoice</th><th>Order</th><th>Customer</th><th>Items</th><th>Amount</th><th>Created</th></tr>${rows}</table>
<p>JSON: <a href="api/invoices">api/invoices</a></p>`;
  return renderPage({ title: 'Invoicing', root: '../', body, accent: '#6a1b9a', refreshSeconds: 5 });
}

const poller = new FeedPoller({ onOrders: (orders) => orders.forEach((o) => void invoice(o)) });
poller.start();

startApp({
  handler(req, res, url) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    if (url.pathname === '/') return sendHtml(res, 200, invoicingPage());
    if (url.pathname === '/api/invoices') return sendJson(res, 200, [...invoices.values()]);
    notFound();
  },
  onShutdown() {
    poller.stop();
    clearInterval(retryTimer);
    pricing.close();
    closeMeshClient();
  },
});
