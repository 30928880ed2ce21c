// The quotes the order service asks for while it takes an order, before it answers: the price
// from pricing (gRPC unary Quote) and the shipping cost from shipping (GET /api/quote), both by
// mesh name through order's sidecar and in parallel. Both calls carry the incoming request's
// trace headers (to pricing as gRPC metadata, to shipping as HTTP headers) and x-canary, so one
// order placed through the gateway is one trace: gateway → order → pricing, order → shipping.
//
// Quotes are best effort: a callee that fails or does not answer within QUOTE_TIMEOUT_MS leaves
// its quote out, and the order is still taken (invoicing prices every order again on its own).

import type { IncomingHttpHeaders } from 'node:http';
import { log } from '../lib/http.js';
import { meshJson, propagatedHeaders, serviceUrl } from '../lib/mesh-client.js';
import type { PriceQuote, ShippingQuote } from '../lib/orders.js';
import { PricingClient } from '../lib/pricing-client.js';

export const QUOTE_TIMEOUT_MS = 2000;

export interface OrderQuotes {
  price?: PriceQuote;
  shipping?: ShippingQuote;
}

/** Checks shipping's answer (another service's output is input too); throws if it is malformed. */
function parseShippingQuote(data: unknown): ShippingQuote {
  const q = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  if (!Number.isSafeInteger(q.costCents) || typeof q.quotedBy !== 'string' || typeof q.version !== 'string') {
    throw new Error('shipping quote: expected {costCents, quotedBy, version}');
  }
  if (q.estimatedDelivery !== undefined && typeof q.estimatedDelivery !== 'string') {
    throw new Error('shipping quote: estimatedDelivery must be a string');
  }
  return {
    costCents: q.costCents as number,
    ...(typeof q.estimatedDelivery === 'string' ? { estimatedDelivery: q.estimatedDelivery } : {}),
    quotedBy: q.quotedBy,
    version: q.version,
  };
}

export class OrderQuoter {
  private readonly pricing = new PricingClient();
  readonly shippingQuoteBase = `${serviceUrl('shipping')}/api/quote`;

  /** Where pricing is called (its mesh authority). */
  get pricingAuthority(): string {
    return this.pricing.target.authority;
  }

  /** Both quotes for `order`, asked with the tracing and routing headers of `incoming`. */
  async quote(order: { item: string; quantity: number }, incoming: IncomingHttpHeaders): Promise<OrderQuotes> {
    const headers = propagatedHeaders(incoming);
    const [price, shipping] = await Promise.all([
      this.pricing
        .quote(order, headers, QUOTE_TIMEOUT_MS)
        .then((r): PriceQuote => ({ unitPriceCents: r.unitPriceCents, amountCents: r.amountCents, currency: r.currency, quotedBy: r.quotedBy }))
        .catch((err: unknown) => skipped('price', err)),
      meshJson(`${this.shippingQuoteBase}?item=${encodeURIComponent(order.item)}&quantity=${order.quantity}`, { headers, timeoutMs: QUOTE_TIMEOUT_MS })
        .then(({ data }) => parseShippingQuote(data))
        .catch((err: unknown) => skipped('shipping', err)),
    ]);
    return { ...(price ? { price } : {}), ...(shipping ? { shipping } : {}) };
  }

  close(): void {
    this.pricing.close();
  }
}

function skipped(what: string, err: unknown): undefined {
  log(`no ${what} quote (${err instanceof Error ? err.message : String(err)}); taking the order without it`);
  return undefined;
}
