/**
 * One error class for every HTTP/1.1 framing failure. `code` is stable (tests, metrics and
 * access logs key on it); `status` is what the connection manager should answer with before
 * closing: 4xx/5xx for a bad downstream request, 502 for a bad upstream response.
 */

export type CodecStatus = 400 | 431 | 501 | 505 | 502;

/** Every code the codec can raise, with a one-line explanation (kept in sync by a test). */
export const CODEC_ERROR_CODES = {
  bare_lf: 'a line ends in LF without CR, or a CR is not followed by LF',
  invalid_request_line: 'the request line is not "token SP VCHARs SP HTTP/d.d" with single spaces',
  invalid_target: 'the request-target has a forbidden byte or a form not allowed for the method',
  invalid_version: 'the HTTP version is not HTTP/1.0 or HTTP/1.1',
  invalid_status_line: 'the status line is not "HTTP-version SP 3DIGIT SP reason"',
  invalid_status: 'the status code is outside 100-599',
  invalid_header_name: 'a field name is empty or has a non-token byte (e.g. space before the colon)',
  invalid_header_value: 'a field value has a control byte other than HTAB',
  obs_fold: 'a field line starts with whitespace (obsolete line folding)',
  headers_too_large: 'the header section exceeds maxHeaderBytes',
  too_many_headers: 'the header section has more than maxHeaders field lines',
  missing_host: 'an HTTP/1.1 request has no Host header',
  duplicate_host: 'a request has more than one Host header',
  invalid_host: 'the Host header has a byte not allowed in uri-host[:port]',
  invalid_content_length: 'Content-Length is not a non-negative decimal integer <= 2^53-1',
  duplicate_content_length: 'Content-Length appears with differing values',
  cl_te_conflict: 'both Content-Length and Transfer-Encoding are present',
  unsupported_transfer_encoding: 'Transfer-Encoding is anything other than a single "chunked"',
  te_in_http10: 'an HTTP/1.0 message carries Transfer-Encoding',
  invalid_connection: 'the Connection header has an element that is not a token',
  invalid_chunk_size: 'a chunk size is not 1-16 hex digits fitting in 2^53-1',
  invalid_chunk_ext: 'a chunk extension is not token[=token|quoted-string]',
  chunk_ext_too_long: 'a chunk-size line (with extensions) exceeds the line limit',
  invalid_chunk_data: 'chunk data is not followed by CRLF',
  trailers_too_large: 'the trailer section exceeds the limits',
  decoder_failed: 'the chunked decoder was used again after an error',
} as const;

export type CodecErrorCode = keyof typeof CODEC_ERROR_CODES;

export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly status: CodecStatus;
  readonly code: CodecErrorCode;

  constructor(code: CodecErrorCode, status: CodecStatus, detail?: string) {
    super(detail === undefined ? CODEC_ERROR_CODES[code] : `${CODEC_ERROR_CODES[code]}: ${detail}`);
    this.code = code;
    this.status = status;
  }
}

/** Status for errors in something we received from downstream vs. from an upstream. */
export const REQUEST_ERROR: CodecStatus = 400;
export const RESPONSE_ERROR: CodecStatus = 502;
