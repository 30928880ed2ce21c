// Envoy's CORS filter for one route: preflights from an allowed origin are answered by the proxy;
// other requests from an allowed origin get Access-Control-Allow-Origin (and credentials / expose
// headers) on their response. Preflights from other origins go to the app unchanged.
import { stringMatches } from '../../router/select.js';
import type { CorsConfig } from './types.js';
import { getHeader } from '../codec/h1/headers.js';

const header = getHeader;

/** The request's Origin when the policy allows it. */
export function allowedOrigin(c: CorsConfig, headers: readonly string[]): string | undefined {
  const origin = header(headers, 'origin');
  if (origin === undefined || origin === '') return undefined;
  return c.origins.some((m) => stringMatches(m, origin)) ? origin : undefined;
}

export function isPreflight(method: string, headers: readonly string[]): boolean {
  return method === 'OPTIONS' && header(headers, 'origin') !== undefined && header(headers, 'access-control-request-method') !== undefined;
}

/** Response header lines ("name: value\r\n"...) for a preflight answer. */
export function preflightHeaders(c: CorsConfig, origin: string): string {
  let s = `access-control-allow-origin: ${origin}\r\n`;
  if (c.allowCredentials) s += 'access-control-allow-credentials: true\r\n';
  if (c.allowMethods) s += `access-control-allow-methods: ${c.allowMethods}\r\n`;
  if (c.allowHeaders) s += `access-control-allow-headers: ${c.allowHeaders}\r\n`;
  if (c.maxAge) s += `access-control-max-age: ${c.maxAge}\r\n`;
  return s;
}

/** Adds the CORS response headers for an allowed origin (flat list in, new flat list out). */
export function corsResponseHeaders(c: CorsConfig, origin: string, headers: readonly string[]): readonly string[] {
  const out = headers.filter((_, i) => {
    const n = headers[i - (i % 2)]!;
    return n !== 'access-control-allow-origin' && n !== 'access-control-allow-credentials' && n !== 'access-control-expose-headers';
  });
  out.push('access-control-allow-origin', origin);
  if (c.allowCredentials) out.push('access-control-allow-credentials', 'true');
  if (c.exposeHeaders) out.push('access-control-expose-headers', c.exposeHeaders);
  return out;
}
