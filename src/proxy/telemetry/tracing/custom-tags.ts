// HCM tracing.custom_tags (envoy.type.tracing.v3.CustomTag) → tags added to every span of the
// listener. Implemented: `literal`, `environment` (read once, when the config is decoded, as
// Envoy does) and `request_header` (per request). A tag with no value and no default_value is
// left off the span, as in Envoy. `metadata` tags are rejected (NACK) naming the field.
import { ConfigRejection, arr, obj, only, optStr, str } from '../../config/check.js';
import type { RequestHead } from '../../http/codec/h1/request-parser.js';

/** A custom tag as the tracer applies it: a fixed value, or a request header's. */
export type SpanCustomTag = { tag: string; value: string } | { tag: string; header: string; defaultValue?: string };

export function decodeCustomTags(v: unknown, path: string, env: NodeJS.ProcessEnv = process.env): SpanCustomTag[] {
  const out: SpanCustomTag[] = [];
  arr(v, path).forEach((item, i) => {
    const p = `${path}[${i}]`;
    const t = obj(item, p);
    only(t, p, ['tag', 'literal', 'environment', 'request_header']);
    const tag = str(t.tag, `${p}.tag`);
    if (tag === '') throw new ConfigRejection(`${p}.tag`, 'must not be empty');
    const kinds = ['literal', 'environment', 'request_header'].filter((k) => t[k] !== undefined);
    if (kinds.length !== 1) throw new ConfigRejection(p, `expected exactly one of literal, environment, request_header; got ${kinds.join(', ') || 'none'}`);
    if (t.literal !== undefined) {
      const l = obj(t.literal, `${p}.literal`);
      only(l, `${p}.literal`, ['value']);
      out.push({ tag, value: optStr(l.value, `${p}.literal.value`) ?? '' });
    } else if (t.environment !== undefined) {
      const e = obj(t.environment, `${p}.environment`);
      only(e, `${p}.environment`, ['name', 'default_value']);
      const name = str(e.name, `${p}.environment.name`);
      const value = env[name] ?? optStr(e.default_value, `${p}.environment.default_value`);
      if (value !== undefined) out.push({ tag, value });
    } else {
      const h = obj(t.request_header, `${p}.request_header`);
      only(h, `${p}.request_header`, ['name', 'default_value']);
      const header = str(h.name, `${p}.request_header.name`).toLowerCase();
      if (header === '') throw new ConfigRejection(`${p}.request_header.name`, 'must not be empty');
      const defaultValue = optStr(h.default_value, `${p}.request_header.default_value`);
      out.push(defaultValue !== undefined ? { tag, header, defaultValue } : { tag, header });
    }
  });
  return out;
}

/** Sets the custom tags on a span's tags (header values from the request as received). */
export function applyCustomTags(tags: Record<string, string>, custom: readonly SpanCustomTag[], req: RequestHead): void {
  for (const c of custom) {
    if ('value' in c) {
      tags[c.tag] = c.value;
      continue;
    }
    const v = headerValue(req.headers, c.header) ?? c.defaultValue;
    if (v !== undefined) tags[c.tag] = v;
  }
}

function headerValue(h: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) found = found === undefined ? h[i + 1] : `${found},${h[i + 1]}`;
  }
  return found;
}
