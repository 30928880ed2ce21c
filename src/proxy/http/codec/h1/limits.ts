/** Bounds on a header (or trailer) section; every parser in this directory takes one. */
export interface HeadLimits {
  /** Bytes of start line + field lines + final CRLF CRLF (including skipped leading CRLFs). */
  maxHeaderBytes: number;
  /** Field lines (not counting the start line). */
  maxHeaders: number;
}

export const DEFAULT_LIMITS: Readonly<HeadLimits> = Object.freeze({
  maxHeaderBytes: 61440,
  maxHeaders: 100,
});

/** Longest chunk-size line (size + extensions + CRLF) the chunked decoder accepts. */
export const MAX_CHUNK_LINE_BYTES = 4096;
