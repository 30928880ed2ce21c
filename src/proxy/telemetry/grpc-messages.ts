// gRPC message counts of one stream, for istio_request_messages_total and
// istio_response_messages_total: the request and response bodies are scanned for gRPC's
// length-prefixed framing (1 flag byte, 4-byte big-endian length, payload) as they pass, in
// whatever chunks they arrive; only the 5-byte prefixes are looked at, payloads are skipped.

const PREFIX = 5;

/** Counts length-prefixed messages in a byte stream fed in arbitrary chunks. */
export class GrpcFrameScanner {
  count = 0;
  private prefixLeft = PREFIX;
  private length = 0;
  private payloadLeft = 0;

  feed(b: Uint8Array): void {
    let i = 0;
    const n = b.length;
    while (i < n) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, n - i);
        this.payloadLeft -= take;
        i += take;
        continue;
      }
      const byte = b[i++] as number;
      if (this.prefixLeft === PREFIX) this.length = 0; // the compressed-flag byte
      else this.length = this.length * 256 + byte;
      if (--this.prefixLeft === 0) {
        this.count++;
        this.payloadLeft = this.length;
        this.prefixLeft = PREFIX;
      }
    }
  }
}

/** Both directions of one gRPC stream, and its grpc-status. */
export class GrpcMessageCounts {
  private readonly req = new GrpcFrameScanner();
  private readonly res = new GrpcFrameScanner();
  /** The grpc-status the server sent (trailers, or a trailers-only response head); '' until then. */
  status = '';

  /** A counter for a request whose content-type is gRPC's, else null (nothing is scanned). */
  static forContentType(contentType: string): GrpcMessageCounts | null {
    return contentType.startsWith('application/grpc') ? new GrpcMessageCounts() : null;
  }

  requestData(b: Uint8Array): void {
    this.req.feed(b);
  }

  responseData(b: Uint8Array): void {
    this.res.feed(b);
  }

  /** Takes grpc-status from a header list (name, value, name, value, ...), if there. */
  headers(h: readonly string[]): void {
    for (let i = 0; i < h.length; i += 2) {
      if (h[i] === 'grpc-status') {
        this.status = h[i + 1] ?? '';
        return;
      }
    }
  }

  get request(): number {
    return this.req.count;
  }

  get response(): number {
    return this.res.count;
  }
}
