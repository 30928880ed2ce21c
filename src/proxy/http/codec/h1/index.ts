/** Public API of the strict HTTP/1.1 codec. */

export { CodecError, CODEC_ERROR_CODES, type CodecErrorCode, type CodecStatus } from './errors.js';
export { DEFAULT_LIMITS, MAX_CHUNK_LINE_BYTES, type HeadLimits } from './limits.js';
export { parseRequestHead, type RequestHead } from './request-parser.js';
export { parseResponseHead, responseHasBody, type ResponseHead } from './response-parser.js';
export {
  ChunkedDecoder,
  CRLF,
  LAST_CHUNK,
  chunkHeader,
  lastChunkWithTrailers,
  type ChunkedDecoderOptions,
} from './chunked.js';
export {
  HOP_BY_HOP,
  NOT_NOMINATABLE,
  TOKEN,
  getHeader,
  getHeaderAll,
  hasHeader,
  isToken,
  isValidHeaderName,
  isValidHeaderValue,
  removeHopByHop,
} from './headers.js';
export {
  reasonPhrase,
  requestHeadString,
  responseHeadString,
  serializeRequestHead,
  serializeResponseHead,
} from './serialize.js';
