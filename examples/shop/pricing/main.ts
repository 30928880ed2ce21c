// pricing: a gRPC service (h2c, port 50051) that quotes prices from the catalogue.
// invoicing calls Quote for every order through the mesh; home shows the price list (ListPrices,
// a server stream). Protocol GRPC on the Workload port tells the mesh to speak HTTP/2 to it.
//
//   weft.shop.pricing.v1.Pricing/Quote       {item, quantity} → {unitPriceCents, amountCents, ...}
//   weft.shop.pricing.v1.Pricing/ListPrices  → stream of {item, name, unitPriceCents}

import grpc from '@grpc/grpc-js';
import { appInfo, log } from '../lib/http.js';
import { CATALOG } from '../lib/orders.js';
import { PRICING_PORT, PRICING_SERVICE, type Price, type QuoteReply, type QuoteRequest } from '../lib/pricing-client.js';

const info = appInfo();

function quote(call: grpc.ServerUnaryCall<QuoteRequest, QuoteReply>, cb: grpc.sendUnaryData<QuoteReply>): void {
  const { item, quantity } = call.request;
  const product = Object.hasOwn(CATALOG, item) ? CATALOG[item] : undefined;
  if (!product) return cb({ code: grpc.status.NOT_FOUND, details: `unknown item ${JSON.stringify(item)}` });
  if (!Number.isInteger(quantity) || quantity < 1) return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'quantity must be at least 1' });
  cb(null, {
    item,
    quantity,
    unitPriceCents: product.priceCents,
    amountCents: product.priceCents * quantity,
    currency: 'EUR',
    quotedBy: info.instance,
  });
}

function listPrices(call: grpc.ServerWritableStream<Record<string, never>, Price>): void {
  for (const [item, p] of Object.entries(CATALOG)) call.write({ item, name: p.name, unitPriceCents: p.priceCents });
  call.end();
}

const server = new grpc.Server();
server.addService(PRICING_SERVICE, { quote, listPrices });
const host = process.env.WEFT_HOST || '127.0.0.1';
const port = Number(process.env.PORT || PRICING_PORT);
server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    log(`cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }
  log(`gRPC listening on ${host}:${port}`);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    server.tryShutdown(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  });
}
