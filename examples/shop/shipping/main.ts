// shipping: polls the order feed through the mesh and creates one shipment per order (idempotent
// by order id). Versions v1 and v2 run this same code; VERSION decides. v2 adds an estimated
// delivery date and an orange banner, so canary traffic is easy to spot.
//
//   GET /                 page: shipments (reloads every 5 s)
//   GET /api/shipments    all shipments, oldest first
//   GET /api/quote?item=<item>&quantity=<n>
//                         what shipping an order would cost (v2: and when it would arrive); the
//                         order service asks while it takes an order, so this is part of its trace
//
// Every instance keeps its own copy of the shipments, rebuilt from the feed when it starts.

import { FeedPoller } from '../lib/feed-poller.js';
import { html, renderPage } from '../lib/html.js';
import { appInfo, HttpError, log, notFound, sendHtml, sendJson, startApp } from '../lib/http.js';
import { closeMeshClient } from '../lib/mesh-client.js';
import type { Order, ShippingQuote } from '../lib/orders.js';
import { CATALOG } from '../lib/orders.js';

interface Shipment {
  id: string;
  orderId: number;
  customer: string;
  item: string;
  quantity: number;
  createdAt: string;
  /** Which instance and version created this shipment. */
  shippedBy: string;
  version: string;
  /** v2 only: YYYY-MM-DD. */
  estimatedDelivery?: string;
}

const info = appInfo();
const isV2 = info.version === 'v2';
const DELIVERY_DAYS = 3;
/** Shipping cost: a flat fee per order plus a little per extra unit. */
const BASE_COST_CENTS = 490;
const PER_EXTRA_UNIT_CENTS = 50;
const MAX_QUANTITY = 100;
const shipments = new Map<number, Shipment>();

function addDays(iso: string, days: number): string {
  const d = new Date(iso);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function ship(order: Order): void {
  if (shipments.has(order.id)) return; // idempotent: one shipment per order, whatever the feed repeats
  const createdAt = new Date().toISOString();
  const shipment: Shipment = {
    id: `S-${order.id}`,
    orderId: order.id,
    customer: order.customer,
    item: order.item,
    quantity: order.quantity,
    createdAt,
    shippedBy: info.instance,
    version: info.version,
    ...(isV2 ? { estimatedDelivery: addDays(createdAt, DELIVERY_DAYS) } : {}),
  };
  shipments.set(order.id, shipment);
  log(`shipment ${shipment.id} for order ${order.id}`);
}

function quote(url: URL): ShippingQuote & { item: string; quantity: number } {
  const item = url.searchParams.get('item') ?? '';
  const quantityText = url.searchParams.get('quantity') ?? '';
  const quantity = /^\d{1,3}$/.test(quantityText) ? Number(quantityText) : NaN;
  if (!Object.hasOwn(CATALOG, item)) throw new HttpError(400, `item must be one of: ${Object.keys(CATALOG).join(', ')}`);
  if (!(quantity >= 1 && quantity <= MAX_QUANTITY)) throw new HttpError(400, `quantity must be a whole number from 1 to ${MAX_QUANTITY}`);
  return {
    item,
    quantity,
    costCents: BASE_COST_CENTS + PER_EXTRA_UNIT_CENTS * (quantity - 1),
    ...(isV2 ? { estimatedDelivery: addDays(new Date().toISOString(), DELIVERY_DAYS) } : {}),
    quotedBy: info.instance,
    version: info.version,
  };
}

function shippingPage(): string {
  const list = [...shipments.values()].reverse().slice(0, 100);
  const rows = list.map(
    (s) => html`<tr><td>${s.id}</td><td>${s.orderId}</td><td>${s.customer}</td>
<td>${s.quantity} × ${CATALOG[s.item]?.name ?? s.item}</td><td>${s.createdAt}</td>${isV2 ? html`<td>${s.estimatedDelivery}</td>` : ''}</tr>`,
  );
  const body = html`<p>Shipping polls the order feed every second through its sidecar
(<code>${poller.feedBase}</code>) and creates one shipment per order.
This is <b>shipping ${info.version}</b>${isV2 ? ', the canary: it also estimates the delivery date' : ''}.
Through the gateway 80% of requests go to v1 and 20% to v2: reload to see the banner change.</p>
<h2>Shipments (${shipments.size})</h2>
<table><tr><th>Shipment</th><th>Order</th><th>Customer</th><th>Items</th><th>Created</th>${isV2 ? html`<th>Estimated delivery</th>` : ''}</tr>${rows}</table>
<p>JSON: <a href="api/shipments">api/shipments</a></p>`;
  return renderPage({ title: `Shipping ${info.version}`, root: '../', body, accent: isV2 ? '#d2691e' : '#2e7d32', refreshSeconds: 5 });
}

const poller = new FeedPoller({ onOrders: (orders) => orders.forEach(ship) });
poller.start();

startApp({
  handler(req, res, url) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    if (url.pathname === '/') return sendHtml(res, 200, shippingPage());
    if (url.pathname === '/api/shipments') return sendJson(res, 200, [...shipments.values()]);
    if (url.pathname === '/api/quote') return sendJson(res, 200, quote(url));
    notFound();
  },
  onShutdown() {
    poller.stop();
    closeMeshClient();
  },
});
