// Test support: a real grpc-js ADS server on 127.0.0.1 that records every DiscoveryRequest and
// lets a test push DiscoveryResponses by hand. Used by the ADS client tests.
import * as grpc from '@grpc/grpc-js';
import { ADS_SERVICE } from '../../xds/ads-service.js';
import type { DiscoveryRequest, DiscoveryResponse } from '../../xds/ads-service.js';
import { packAny } from '../../xds/protos.js';

export interface RecordedRequest {
  /** 1 for the first stream the server accepted, 2 for the next, ... */
  stream: number;
  req: DiscoveryRequest;
}

export class TestAdsServer {
  private boundPort = 0;
  private readonly server = new grpc.Server();
  private readonly queue: RecordedRequest[] = [];
  private waiters: ((r: RecordedRequest) => void)[] = [];
  private current: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined;
  private streamCount = 0;

  private constructor() {
    this.server.addService(ADS_SERVICE, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
        this.accept(call);
      },
    });
  }

  static async start(port = 0): Promise<TestAdsServer> {
    const self = new TestAdsServer();
    self.boundPort = await new Promise<number>((resolve, reject) => {
      self.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      );
    });
    return self;
  }

  get port(): number {
    return this.boundPort;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get streams(): number {
    return this.streamCount;
  }

  private accept(call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    const stream = ++this.streamCount;
    this.current = call;
    call.on('data', (req: DiscoveryRequest) => {
      const rec = { stream, req };
      const waiter = this.waiters.shift();
      if (waiter) waiter(rec);
      else this.queue.push(rec);
    });
    call.on('error', () => {});
    call.on('end', () => call.end());
  }

  /** The next request received (on any stream), in arrival order. */
  nextRequest(timeoutMs = 5000): Promise<RecordedRequest> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no DiscoveryRequest within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (r: RecordedRequest): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push(waiter);
    });
  }

  /** Requests already received and not yet taken by nextRequest(). */
  pending(): number {
    return this.queue.length;
  }

  /** Sends a raw response on the newest stream. */
  send(res: DiscoveryResponse): void {
    if (!this.current) throw new Error('no ADS stream open');
    this.current.write(res);
  }

  /** Packs resource objects of one type URL and sends them. */
  push(typeUrl: string, version: string, nonce: string, resources: object[]): void {
    this.send({ type_url: typeUrl, version_info: version, nonce, resources: resources.map((r) => packAny(typeUrl, r)) });
  }

  /** Kills the server and every open stream at once (a control plane crash). */
  kill(): void {
    this.server.forceShutdown();
    this.current = undefined;
  }
}
