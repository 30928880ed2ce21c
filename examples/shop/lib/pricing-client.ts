// The pricing service's gRPC definition (loaded from pricing/pricing.proto with protobufjs) and a
// client that calls it by its mesh name through the sidecar: grpc-js speaks h2c to the sidecar's
// outbound listener (the address in HTTP_PROXY) with :authority pricing.<ns>.svc.cluster.local:50051,
// and the sidecar routes, balances and retries it like any HTTP/2 request.
// Without HTTP_PROXY (an app run by hand) it dials PRICING_ADDR, default 127.0.0.1:50051.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export const PRICING_PORT = 50051;

export interface QuoteRequest {
  item: string;
  quantity: number;
}

export interface QuoteReply {
  item: string;
  quantity: number;
  unitPriceCents: number;
  amountCents: number;
  currency: string;
  quotedBy: string;
}

export interface Price {
  item: string;
  name: string;
  unitPriceCents: number;
}

/** pricing.proto beside the sources (tsx), or in the source tree when running from dist/. */
function protoPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, '..', 'pricing', 'pricing.proto'), path.join(here, '..', '..', '..', '..', 'examples', 'shop', 'pricing', 'pricing.proto')];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0]!;
}

const root = protobuf.loadSync(protoPath());

function codec<T>(typeName: string): { serialize: (v: T) => Buffer; deserialize: (b: Buffer) => T } {
  const type = root.lookupType(typeName);
  return {
    serialize: (v: T) => Buffer.from(type.encode(type.fromObject(v as Record<string, unknown>)).finish()),
    deserialize: (b: Buffer) => type.toObject(type.decode(b), { longs: Number, defaults: true }) as T,
  };
}

const quoteReq = codec<QuoteRequest>('weft.shop.pricing.v1.QuoteRequest');
const quoteRep = codec<QuoteReply>('weft.shop.pricing.v1.QuoteReply');
const listReq = codec<Record<string, never>>('weft.shop.pricing.v1.ListPricesRequest');
const price = codec<Price>('weft.shop.pricing.v1.Price');

export const PRICING_SERVICE = {
  quote: {
    path: '/weft.shop.pricing.v1.Pricing/Quote',
    requestStream: false,
    responseStream: false,
    requestSerialize: quoteReq.serialize,
    requestDeserialize: quoteReq.deserialize,
    responseSerialize: quoteRep.serialize,
    responseDeserialize: quoteRep.deserialize,
  },
  listPrices: {
    path: '/weft.shop.pricing.v1.Pricing/ListPrices',
    requestStream: false,
    responseStream: true,
    requestSerialize: listReq.serialize,
    requestDeserialize: listReq.deserialize,
    responseSerialize: price.serialize,
    responseDeserialize: price.deserialize,
  },
} satisfies grpc.ServiceDefinition;

type PricingStub = grpc.Client & {
  quote: (req: QuoteRequest, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, r?: QuoteReply) => void) => grpc.ClientUnaryCall;
  listPrices: (req: Record<string, never>, md: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientReadableStream<Price>;
};

/** Where the client connects, and the :authority it asks for. */
export function pricingTarget(env: NodeJS.ProcessEnv = process.env): { address: string; authority: string } {
  const authority = `pricing.${env.WEFT_NAMESPACE || 'default'}.svc.cluster.local:${PRICING_PORT}`;
  if (env.HTTP_PROXY) {
    const u = new URL(env.HTTP_PROXY);
    return { address: `${u.hostname}:${u.port || '80'}`, authority };
  }
  return { address: env.PRICING_ADDR || `127.0.0.1:${PRICING_PORT}`, authority };
}

export class PricingClient {
  private readonly stub: PricingStub;
  readonly target = pricingTarget();

  constructor() {
    const Ctor = grpc.makeGenericClientConstructor(PRICING_SERVICE, 'Pricing');
    this.stub = new Ctor(this.target.address, grpc.credentials.createInsecure(), {
      'grpc.default_authority': this.target.authority,
    }) as unknown as PricingStub;
  }

  /** One quote; `headers` (trace and routing headers) travel as gRPC metadata. */
  quote(req: QuoteRequest, headers: Record<string, string> = {}, timeoutMs = 2000): Promise<QuoteReply> {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(headers)) md.set(k, v);
    return new Promise((resolve, reject) => {
      this.stub.quote(req, md, { deadline: Date.now() + timeoutMs }, (err, r) => (err || !r ? reject(err ?? new Error('empty reply')) : resolve(r)));
    });
  }

  /** The whole price list, read from the server stream. */
  listPrices(timeoutMs = 2000): Promise<Price[]> {
    return new Promise((resolve, reject) => {
      const out: Price[] = [];
      const call = this.stub.listPrices({}, new grpc.Metadata(), { deadline: Date.now() + timeoutMs });
      call.on('data', (p: Price) => out.push(p));
      call.on('error', reject);
      call.on('end', () => resolve(out));
    });
  }

  close(): void {
    this.stub.close();
  }
}
