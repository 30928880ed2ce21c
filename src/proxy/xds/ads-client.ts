// The proxy's xDS v3 ADS client, state of the world: one gRPC stream carries every resource type.
//
// Per type it remembers what we subscribed to, the last version we ACKed and the last nonce we saw.
// Each response is decoded and handed to the XdsHandler; its verdict becomes an ACK (new version)
// or a NACK (previous version + error_detail). When the stream breaks it reconnects with backoff
// and resends every subscription with the ACKed versions, so the server knows what we hold. Nothing
// is cleared while disconnected: the handler keeps serving its last good config.
//
// Delta xDS will be a second stream flavour over the same per-type state (subscriptions, versions);
// the SotW-specific parts are openStream/onResponse/sendRequest.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { makeAdsClientConstructor, NACK_CODE_INVALID_ARGUMENT, toStruct } from '../../xds/ads-service.js';
import type { AdsStub, DiscoveryRequest, DiscoveryResponse, XdsNode } from '../../xds/ads-service.js';
import { TYPE_BY_URL, TYPE_URL } from '../../xds/protos.js';
import type { XdsType } from '../../xds/protos.js';
import type { ProxyMetadata } from '../../xds/node-metadata.js';
import type { Locality } from '../../api/locality.js';
import { Backoff } from './backoff.js';
import { decodeResources } from './decode-resources.js';

export type { XdsType } from '../../xds/protos.js';

/** Order in which subscriptions go out on a new stream (Envoy's: clusters before listeners). */
export const SUBSCRIBE_ORDER: readonly XdsType[] = ['cluster', 'endpoint', 'listener', 'route', 'secret'];

export interface XdsHandler {
  /**
   * Receives every resource of `type` (state of the world) keyed by name. Return null to accept
   * (ACK) or an error message to reject the whole update (NACK); the previous config stays.
   */
  onResources(type: XdsType, resources: Map<string, Record<string, unknown>>, version: string): string | null;
}

export interface AdsClientOptions {
  /** Control plane "host:port". */
  address: string;
  node: { id: string; cluster: string; metadata: ProxyMetadata; locality?: Locality | undefined };
  handler: XdsHandler;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  log?: (msg: string) => void;
  /** Plaintext unless given (the control plane's 15010 port). */
  credentials?: grpc.ChannelCredentials;
  /** Merged over the client's defaults (keepalive, reconnect backoff, message size). */
  channelOptions?: Partial<grpc.ChannelOptions>;
}

export interface XdsTypeStatus {
  ackedVersion: string | null;
  lastNonce: string | null;
  lastError: string | null;
}

export interface AdsClientEvents {
  connected: [];
  disconnected: [reason: string];
  ack: [type: XdsType, version: string, nonce: string];
  /** typeUrl rather than XdsType: unknown types are NACKed too. */
  nack: [typeUrl: string, nonce: string, error: string];
}

type Subscription = readonly string[] | '*';

interface TypeState {
  /** undefined until subscribe() is called for the type. */
  names: Subscription | undefined;
  ackedVersion: string | null;
  /** Nonce of the last response on the current stream; nonces do not survive a reconnect. */
  streamNonce: string | null;
  lastNonce: string | null;
  lastError: string | null;
}

/** How long one wait for the channel to become ready lasts before the loop tries again. */
const CONNECT_WAIT_MS = 10_000;
const USER_AGENT = 'weft-proxy';

const AdsStubCtor = makeAdsClientConstructor();

export class AdsClient extends EventEmitter<AdsClientEvents> {
  private readonly opts: AdsClientOptions;
  private readonly log: (msg: string) => void;
  private readonly backoff: Backoff;
  private readonly types: Record<XdsType, TypeState>;
  private nodeMessage: XdsNode | undefined;
  private stub: AdsStub | undefined;
  private call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse> | undefined;
  private nodeSent = false;
  private running = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private isConnected = false;

  constructor(opts: AdsClientOptions) {
    super();
    this.opts = opts;
    this.log = opts.log ?? ((): void => {});
    this.backoff = new Backoff({ initialMs: opts.initialBackoffMs ?? 200, maxMs: opts.maxBackoffMs ?? 5000 });
    const fresh = (): TypeState => ({
      names: undefined,
      ackedVersion: null,
      streamNonce: null,
      lastNonce: null,
      lastError: null,
    });
    this.types = { cluster: fresh(), endpoint: fresh(), listener: fresh(), route: fresh(), secret: fresh() };
  }

  /** True while an ADS stream is open to a ready channel. */
  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stub = new AdsStubCtor(
      this.opts.address,
      this.opts.credentials ?? grpc.credentials.createInsecure(),
      this.channelOptions(),
    );
    this.connect();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.markDisconnected('stopped');
    this.stub?.close();
    this.stub = undefined;
  }

  /**
   * Sets the resources wanted for a type. '*' is a wildcard subscription (empty resource_names on
   * the wire), which is how Envoy asks for clusters and listeners. A request goes out only when the
   * set changed; it carries the type's ACKed version and latest nonce.
   */
  subscribe(type: XdsType, names: readonly string[] | '*'): void {
    const next: Subscription = names === '*' ? '*' : [...new Set(names)].sort();
    const state = this.types[type];
    if (state.names !== undefined && sameSubscription(state.names, next)) return;
    state.names = next;
    this.sendRequest(type);
  }

  status(): Record<XdsType, XdsTypeStatus> {
    const out = {} as Record<XdsType, XdsTypeStatus>;
    for (const type of SUBSCRIBE_ORDER) {
      const s = this.types[type];
      out[type] = { ackedVersion: s.ackedVersion, lastNonce: s.lastNonce, lastError: s.lastError };
    }
    return out;
  }

  private channelOptions(): Partial<grpc.ChannelOptions> {
    return {
      // Notice a control plane that vanished without closing the connection.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      // The channel's own reconnect pacing follows ours instead of grpc's 1s..120s default.
      'grpc.initial_reconnect_backoff_ms': this.opts.initialBackoffMs ?? 200,
      'grpc.max_reconnect_backoff_ms': this.opts.maxBackoffMs ?? 5000,
      // A full SotW push for a large mesh can exceed grpc's 4 MiB default.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      ...this.opts.channelOptions,
    };
  }

  private connect(): void {
    const stub = this.stub;
    if (!this.running || !stub) return;
    stub.waitForReady(Date.now() + CONNECT_WAIT_MS, (err) => {
      if (!this.running || this.stub !== stub) return;
      if (err) {
        this.log(`xds: control plane ${this.opts.address} not ready: ${err.message}`);
        this.scheduleReconnect();
        return;
      }
      this.openStream(stub);
    });
  }

  private openStream(stub: AdsStub): void {
    const call = stub.StreamAggregatedResources();
    this.call = call;
    this.nodeSent = false;
    for (const type of SUBSCRIBE_ORDER) this.types[type].streamNonce = null;
    call.on('data', (res: DiscoveryResponse) => {
      if (this.call === call) this.onResponse(res);
    });
    call.on('error', (err: Error) => this.onStreamEnd(call, err.message));
    call.on('status', (s: grpc.StatusObject) =>
      this.onStreamEnd(call, `stream closed: ${grpc.status[s.code] ?? s.code} ${s.details}`),
    );
    this.log(`xds: ADS stream open to ${this.opts.address}`);
    for (const type of SUBSCRIBE_ORDER) this.sendRequest(type);
    this.isConnected = true;
    this.emit('connected');
  }

  private onStreamEnd(call: grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>, reason: string): void {
    if (this.call !== call) return;
    this.call = undefined;
    call.cancel();
    this.log(`xds: ADS stream to ${this.opts.address} ended: ${reason}`);
    this.markDisconnected(reason);
    this.scheduleReconnect();
  }

  private markDisconnected(reason: string): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.emit('disconnected', reason);
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private onResponse(res: DiscoveryResponse): void {
    // A response proves the server speaks ADS: the next outage starts from the short delay.
    this.backoff.reset();
    const nonce = res.nonce ?? '';
    const version = res.version_info ?? '';
    const type = TYPE_BY_URL.get(res.type_url);
    if (type === undefined) {
      const error = `unknown type_url "${res.type_url}"`;
      this.log(`xds: NACK ${error}`);
      this.write({
        type_url: res.type_url,
        version_info: '',
        resource_names: [],
        response_nonce: nonce,
        error_detail: { code: NACK_CODE_INVALID_ARGUMENT, message: error },
      });
      this.emit('nack', res.type_url, nonce, error);
      return;
    }
    const state = this.types[type];
    state.streamNonce = nonce;
    state.lastNonce = nonce;
    const error = this.apply(type, state, res, version);
    if (error === null) {
      state.ackedVersion = version;
      state.lastError = null;
      this.sendRequest(type);
      this.emit('ack', type, version, nonce);
    } else {
      state.lastError = error;
      this.log(`xds: NACK ${type} version ${version} nonce ${nonce}: ${error}`);
      this.sendRequest(type, error);
      this.emit('nack', res.type_url, nonce, error);
    }
  }

  /** Decodes and hands the resources to the handler; returns the NACK message or null. */
  private apply(type: XdsType, state: TypeState, res: DiscoveryResponse, version: string): string | null {
    if (state.names === undefined) return `not subscribed to ${type}`;
    const decoded = decodeResources(type, res.resources ?? []);
    if (!decoded.ok) return decoded.error;
    try {
      return this.opts.handler.onResources(type, decoded.resources, version);
    } catch (err) {
      return `applying ${type}: ${(err as Error).message}`;
    }
  }

  /** Sends the type's current subscription; with `error`, as a NACK of the latest response. */
  private sendRequest(type: XdsType, error?: string): void {
    const state = this.types[type];
    // Unsubscribed types only ever answer with a NACK (of a response we did not ask for).
    if (!this.call || (state.names === undefined && error === undefined)) return;
    const names = state.names ?? [];
    const req: DiscoveryRequest = {
      type_url: TYPE_URL[type],
      version_info: state.ackedVersion ?? '',
      resource_names: names === '*' ? [] : [...names],
      response_nonce: state.streamNonce ?? '',
    };
    if (error !== undefined) req.error_detail = { code: NACK_CODE_INVALID_ARGUMENT, message: error };
    this.write(req);
  }

  private write(req: DiscoveryRequest): void {
    const call = this.call;
    if (!call) return;
    // Like Envoy: the node goes in the first request on a stream only.
    if (!this.nodeSent) {
      req.node = this.node();
      this.nodeSent = true;
    }
    call.write(req);
  }

  private node(): XdsNode {
    this.nodeMessage ??= {
      id: this.opts.node.id,
      cluster: this.opts.node.cluster,
      metadata: toStruct(this.opts.node.metadata),
      user_agent_name: USER_AGENT,
    };
    const l = this.opts.node.locality;
    if (l) this.nodeMessage.locality = { region: l.region, zone: l.zone, sub_zone: l.subZone };
    return this.nodeMessage;
  }
}

function sameSubscription(a: Subscription, b: Subscription): boolean {
  if (a === '*' || b === '*') return a === b;
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
