// Finds the JWTs of a request in the providers' locations (headers with a value prefix, query
// parameters, cookies). A token found in one place by several providers is one token whose
// candidates are all of them. Two values of one token header are joined with "," (as Envoy reads
// a repeated header) and so never form a valid JWT: a request cannot smuggle a second token.
import type { JwtProvider } from './config.js';

export interface FoundToken {
  token: string;
  /** The header it came from (lower-case), if any: forward=false removes it. */
  header?: string;
  candidates: JwtProvider[];
}

function headerValues(headers: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) out.push(headers[i + 1]!);
  return out;
}

function queryValue(query: string, name: string): string | undefined {
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if ((eq >= 0 ? part.slice(0, eq) : part) !== name) continue;
    const raw = eq >= 0 ? part.slice(eq + 1) : '';
    try {
      return decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return raw;
    }
  }
  return undefined;
}

function cookieValue(headers: readonly string[], name: string): string | undefined {
  for (const line of headerValues(headers, 'cookie')) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      if (pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
  }
  return undefined;
}

export function extractTokens(providers: readonly JwtProvider[], headers: readonly string[], query: string): FoundToken[] {
  const byPlace = new Map<string, FoundToken>();
  const add = (place: string, token: string, p: JwtProvider, header?: string): void => {
    const f = byPlace.get(place);
    if (f) {
      if (!f.candidates.includes(p)) f.candidates.push(p);
      return;
    }
    byPlace.set(place, { token, candidates: [p], ...(header !== undefined ? { header } : {}) });
  };
  for (const p of providers) {
    for (const h of p.locations.headers) {
      const values = headerValues(headers, h.name);
      if (values.length === 0) continue;
      const value = values.join(',');
      if (value.length < h.prefix.length || value.slice(0, h.prefix.length).toLowerCase() !== h.prefix.toLowerCase()) continue;
      add(`h:${h.name}:${h.prefix}`, value.slice(h.prefix.length).trim(), p, h.name);
    }
    for (const name of p.locations.params) {
      const v = query ? queryValue(query, name) : undefined;
      if (v !== undefined && v !== '') add(`q:${name}`, v, p);
    }
    for (const name of p.locations.cookies) {
      const v = cookieValue(headers, name);
      if (v !== undefined && v !== '') add(`c:${name}`, v, p);
    }
  }
  return [...byPlace.values()];
}
