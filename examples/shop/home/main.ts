// home: the shop's front page. Links the other services' pages (gateway paths) and shows a live
// summary fetched from each service *through the mesh*, forwarding the incoming request's tracing
// headers (and x-canary, which the shipping VirtualService routes on).
//
//   GET /                               page
//   GET /order, /shipping, /invoicing   301 to the same path with a trailing slash

import type { IncomingHttpHeaders } from 'node:http';
import { html, renderPage } from '../lib/html.js';
import { HttpError, notFound, redirect, sendHtml, startApp } from '../lib/http.js';
import { closeMeshClient, meshJson, propagatedHeaders, serviceUrl } from '../lib/mesh-client.js';

interface Probe {
  service: string;
  path: string;
  label: string;
  what: string;
}

const SERVICES: Probe[] = [
  { service: 'order', path: '/api/orders', label: 'Orders', what: 'orders' },
  { service: 'shipping', path: '/api/shipments', label: 'Shipping', what: 'shipments' },
  { service: 'invoicing', path: '/api/invoices', label: 'Invoicing', what: 'invoices' },
];

interface ProbeResult {
  probe: Probe;
  count?: number;
  servedBy?: string;
  error?: string;
}

async function probe(p: Probe, incoming: IncomingHttpHeaders): Promise<ProbeResult> {
  try {
    const { data, headers } = await meshJson(serviceUrl(p.service) + p.path, { headers: propagatedHeaders(incoming), timeoutMs: 2000 });
    const servedBy = `${String(headers['x-served-by'] ?? '?')} (${String(headers['x-version'] ?? '?')})`;
    return { probe: p, count: Array.isArray(data) ? data.length : undefined, servedBy };
  } catch (err) {
    return { probe: p, error: err instanceof Error ? err.message : String(err) };
  }
}

async function homePage(incoming: IncomingHttpHeaders): Promise<string> {
  const results = await Promise.all(SERVICES.map((p) => probe(p, incoming)));
  const rows = results.map(
    (r) => html`<tr><td><a href="${r.probe.service}/">${r.probe.label}</a></td>
<td>${r.error ? html`<span class="error">unavailable</span> <small>${r.error}</small>` : `${r.count ?? '?'} ${r.probe.what}`}</td>
<td>${r.servedBy ?? ''}</td></tr>`,
  );
  const body = html`<p>Weft's sample shop: five small services talking through the mesh.</p>
<ul>
<li><a href="order/">Orders</a>: enter an order (two replicas, least-request load balancing); order asks
pricing (gRPC) and shipping for quotes before it answers, so one order is one trace.</li>
<li><a href="shipping/">Shipping</a>: polls the order feed and ships every order. Version v1 runs two replicas,
the canary v2 one; the gateway sends 20% of page views to v2 (orange banner, delivery estimate).</li>
<li><a href="invoicing/">Invoicing</a>: polls the same feed and bills every order, priced by pricing over gRPC.</li>
</ul>
<p>Every page says which instance and version served it. Services call each other by mesh name
(<code>order.default.svc.cluster.local</code>) through their sidecar, never by address.</p>
<h2>Right now</h2>
<p>Fetched just now by this page from each service, through the mesh (send <code>x-canary: true</code>
to this page and the shipping count comes from v2):</p>
<table><tr><th>Service</th><th>State</th><th>Answered by</th></tr>${rows}</table>`;
  return renderPage({ title: 'Weft shop', root: './', body });
}

startApp({
  async handler(req, res, url) {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    if (url.pathname === '/') return sendHtml(res, 200, await homePage(req.headers));
    // Through the gateway, "/order" (no slash) matches only the "/" route and lands here.
    const service = SERVICES.find((s) => url.pathname === `/${s.service}`);
    if (service) return redirect(res, 301, `${service.service}/`);
    notFound();
  },
  onShutdown: closeMeshClient,
});
