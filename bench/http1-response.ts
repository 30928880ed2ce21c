// Incremental HTTP/1.1 response parser for the load generator: finds where each response ends
// (Content-Length, chunked, or connection close) without copying bodies. Feed it socket chunks;
// it calls `onResponse` once per complete response.

const CRLFCRLF = Buffer.from('\r\n\r\n');

export interface ParsedResponse {
  status: number;
  bodyBytes: number;
  /** The server asked to close the connection after this response. */
  close: boolean;
}

type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'until-close';

export class ResponseParser {
  private state: State = 'head';
  private head: Buffer | undefined;
  private status = 0;
  private close = false;
  private remaining = 0;
  private bodyBytes = 0;
  private line = '';

  constructor(
    private readonly onResponse: (r: ParsedResponse) => void,
    /** True when the response to the current request has no body (HEAD). */
    private readonly headRequest = false,
  ) {}

  /** True when a partially received response is pending. */
  get midResponse(): boolean {
    return this.state !== 'head' || this.head !== undefined;
  }

  /** Feeds bytes. Throws on malformed input (the caller drops the connection). */
  push(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case 'head': {
          if (this.head !== undefined) {
            buf = Buffer.concat([this.head, buf.subarray(pos)]);
            pos = 0;
            this.head = undefined;
          }
          const end = buf.indexOf(CRLFCRLF, pos);
          if (end < 0) {
            if (buf.length - pos > 64 * 1024) throw new Error('response head larger than 64 KiB');
            this.head = Buffer.from(buf.subarray(pos));
            return;
          }
          this.parseHead(buf.toString('latin1', pos, end));
          pos = end + 4;
          break;
        }
        case 'body': {
          const take = Math.min(this.remaining, buf.length - pos);
          pos += take;
          this.remaining -= take;
          this.bodyBytes += take;
          if (this.remaining === 0) this.finish();
          break;
        }
        case 'until-close': {
          this.bodyBytes += buf.length - pos;
          pos = buf.length;
          break;
        }
        case 'chunk-size':
        case 'trailers': {
          const nl = buf.indexOf(10, pos);
          if (nl < 0) {
            this.line += buf.toString('latin1', pos);
            if (this.line.length > 8192) throw new Error('chunk line too long');
            return;
          }
          const line = (this.line + buf.toString('latin1', pos, nl)).replace(/\r$/, '');
          this.line = '';
          pos = nl + 1;
          if (this.state === 'trailers') {
            if (line === '') this.finish();
            break;
          }
          const size = parseInt(line.split(';', 1)[0] ?? '', 16);
          if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size line: ${JSON.stringify(line)}`);
          if (size === 0) this.state = 'trailers';
          else {
            this.remaining = size;
            this.state = 'chunk-data';
          }
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.remaining, buf.length - pos);
          pos += take;
          this.remaining -= take;
          this.bodyBytes += take;
          if (this.remaining === 0) {
            this.remaining = 2;
            this.state = 'chunk-crlf';
          }
          break;
        }
        case 'chunk-crlf': {
          const take = Math.min(this.remaining, buf.length - pos);
          pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'chunk-size';
          break;
        }
      }
    }
  }

  /** The connection ended: completes a close-delimited response, if one is pending. */
  end(): void {
    if (this.state === 'until-close') this.finish();
  }

  private parseHead(text: string): void {
    const lines = text.split('\r\n');
    const statusLine = lines[0] ?? '';
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (m === null) throw new Error(`bad status line: ${JSON.stringify(statusLine.slice(0, 100))}`);
    const status = Number(m[1]);
    let contentLength = -1;
    let chunked = false;
    let close = statusLine.startsWith('HTTP/1.0');
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i] as string;
      const colon = l.indexOf(':');
      if (colon <= 0) continue;
      const name = l.slice(0, colon).trim().toLowerCase();
      const value = l.slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') contentLength = Number(value);
      else if (name === 'transfer-encoding') chunked = value.split(',').some((v) => v.trim() === 'chunked');
      else if (name === 'connection') {
        if (value.includes('close')) close = true;
        else if (value.includes('keep-alive')) close = false;
      }
    }
    if (status >= 100 && status < 200) return; // interim response: the real one follows
    this.status = status;
    this.close = close;
    this.bodyBytes = 0;
    if (this.headRequest || status === 204 || status === 304) this.finish();
    else if (chunked) this.state = 'chunk-size';
    else if (contentLength >= 0) {
      if (!Number.isSafeInteger(contentLength)) throw new Error('bad content-length');
      this.remaining = contentLength;
      if (contentLength === 0) this.finish();
      else this.state = 'body';
    } else {
      this.close = true;
      this.state = 'until-close';
    }
  }

  private finish(): void {
    const r: ParsedResponse = { status: this.status, bodyBytes: this.bodyBytes, close: this.close };
    this.state = 'head';
    this.remaining = 0;
    this.bodyBytes = 0;
    this.onResponse(r);
  }
}
