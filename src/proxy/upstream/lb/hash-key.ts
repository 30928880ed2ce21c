// A request's hash key from its route's hash_policy (RING_HASH / MAGLEV): a header's value, a
// cookie, the downstream source IP or a query parameter. As in Envoy, several policies combine
// (rotate and xor), a terminal one that produced a hash stops the rest, and a cookie policy with a
// ttl whose cookie is missing generates one: the request hashes on the new value and the response
// carries it in Set-Cookie, so the client sticks from its next request on.
import crypto from 'node:crypto';
import type { HashPolicyConfig } from '../../config/lb-config.js';
import { combine, hash32 } from './hash.js';

export interface HashRequest {
  /** Flat [name, value, ...] with lower-case names. */
  headers: readonly string[];
  /** Raw query string without '?', or ''. */
  query: string;
  remoteAddress: string;
}

export interface HashResult {
  /** undefined: no policy produced a hash (the picker chooses at random). */
  key: number | undefined;
  /** A Set-Cookie value to add to the response, when a cookie was generated. */
  setCookie: string | undefined;
}

function header(h: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) found = found === undefined ? h[i + 1] : `${found},${h[i + 1]}`;
  }
  return found;
}

export function cookieValue(h: readonly string[], name: string): string | undefined {
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] !== 'cookie') continue;
    for (const part of h[i + 1]!.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
      let v = part.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      return v;
    }
  }
  return undefined;
}

function queryParam(query: string, name: string): string | undefined {
  if (!query) return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if ((eq >= 0 ? part.slice(0, eq) : part) === name) return eq >= 0 ? part.slice(eq + 1) : '';
  }
  return undefined;
}

/** Envoy's generated-cookie form: quoted value, Max-Age from the ttl (none when 0), HttpOnly. */
export function setCookieHeader(name: string, value: string, ttlMs: number, path: string | undefined): string {
  let s = `${name}="${value}"`;
  if (ttlMs > 0) s += `; Max-Age=${Math.floor(ttlMs / 1000)}`;
  if (path !== undefined && path !== '') s += `; Path=${path}`;
  return `${s}; HttpOnly`;
}

export function requestHash(policies: readonly HashPolicyConfig[], req: HashRequest): HashResult {
  let key: number | undefined;
  let setCookie: string | undefined;
  for (const p of policies) {
    let value: string | undefined;
    switch (p.kind) {
      case 'header':
        value = header(req.headers, p.name);
        break;
      case 'queryParameter':
        value = queryParam(req.query, p.name);
        break;
      case 'sourceIp':
        value = req.remoteAddress || undefined;
        break;
      case 'cookie':
        value = cookieValue(req.headers, p.name);
        if (value === undefined && p.ttlMs !== undefined) {
          value = crypto.randomBytes(8).toString('hex');
          setCookie = setCookieHeader(p.name, value, p.ttlMs, p.path);
        }
        break;
    }
    if (value === undefined) continue;
    const h = hash32(value);
    key = key === undefined ? h : combine(key, h);
    if (p.terminal) break;
  }
  return { key, setCookie };
}
