// Regexes in Istio config are RE2 (Envoy's engine); Weft's proxy runs them as JavaScript RegExps.
// Accept only the common subset: it must compile in JavaScript and use nothing RE2 lacks
// (lookahead, lookbehind, backreferences).

import type { Check } from './names.js';

export const re2Regex: Check = (src) => {
  if (/^\(\?[imsU-]+\)/.test(src)) {
    return 'expected a regular expression without inline flags (RE2 "(?i)" has no JavaScript equivalent here; for URIs use ignoreUriCase)';
  }
  try {
    new RegExp(src);
  } catch (e) {
    return `expected a valid regular expression (${(e as Error).message})`;
  }
  const feature = nonRe2Feature(src);
  return feature === undefined ? undefined : `expected an RE2 regular expression (${feature} is not RE2; Istio and Envoy use RE2)`;
};

/** Names the first construct RE2 does not support, or undefined. */
export function nonRe2Feature(src: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const next = src[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `backreference "\\${next}"`;
      if (!inClass && next === 'k' && src[i + 2] === '<') return 'named backreference "\\k<...>"';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const a = src[i + 2];
      const b = src[i + 3];
      if (a === '<' && (b === '=' || b === '!')) return `lookbehind "(?<${b}"`;
      if (a === '=' || a === '!') return `lookahead "(?${a}"`;
    }
  }
  return undefined;
}
