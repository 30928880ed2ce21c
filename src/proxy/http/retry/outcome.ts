// Reading an attempt's outcome from a response head: the gRPC status of a trailers-only response.
import type { ResponseHead } from '../codec/h1/response-parser.js';

/** grpc-status of a trailers-only gRPC response (status in the head), else undefined. */
export function grpcStatusOf(head: ResponseHead): number | undefined {
  if (head.status !== 200) return undefined;
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === 'grpc-status') {
      const v = Number(h[i + 1]);
      return Number.isInteger(v) ? v : undefined;
    }
  }
  return undefined;
}
