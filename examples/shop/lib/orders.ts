// The order record as published on the order service's feed, and the shop's catalogue.

export interface Order {
  id: number;
  customer: string;
  item: string;
  quantity: number;
  createdAt: string;
  /** The order-service instance that accepted the order (shows load balancing). */
  takenBy: string;
  /** Price quoted by pricing (gRPC) while the order was taken; absent if pricing did not answer. */
  price?: PriceQuote;
  /** Shipping cost quoted by shipping while the order was taken; absent if shipping did not answer. */
  shipping?: ShippingQuote;
}

export interface PriceQuote {
  unitPriceCents: number;
  amountCents: number;
  currency: string;
  /** The pricing instance that answered. */
  quotedBy: string;
}

export interface ShippingQuote {
  costCents: number;
  /** v2 only: YYYY-MM-DD. */
  estimatedDelivery?: string;
  /** The shipping instance and version that answered. */
  quotedBy: string;
  version: string;
}

/** Items that can be ordered, with unit prices in cents (invoicing prices orders with it). */
export const CATALOG: Readonly<Record<string, { name: string; priceCents: number }>> = {
  mug: { name: 'Mug', priceCents: 850 },
  teapot: { name: 'Teapot', priceCents: 2450 },
  coffee: { name: 'Coffee beans, 1 kg', priceCents: 1890 },
  grinder: { name: 'Coffee grinder', priceCents: 7900 },
  notebook: { name: 'Notebook', priceCents: 399 },
};

export function formatCents(cents: number): string {
  return `€${(cents / 100).toFixed(2)}`;
}

function isOrder(v: unknown): v is Order {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(o.id) &&
    typeof o.customer === 'string' &&
    typeof o.item === 'string' &&
    Number.isSafeInteger(o.quantity) &&
    typeof o.createdAt === 'string' &&
    typeof o.takenBy === 'string'
  );
}

/** Checks a feed response (another service's output is input too); throws if it is malformed. */
export function parseOrderList(data: unknown): Order[] {
  if (!Array.isArray(data)) throw new Error('order feed: expected a JSON array');
  const bad = data.findIndex((v) => !isOrder(v));
  if (bad >= 0) throw new Error(`order feed: element ${bad} is not an order`);
  return data as Order[];
}
