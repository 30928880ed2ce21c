// Telemetry tracing `customTags` (Istio's Tracing.CustomTag): each tag takes its value from
// exactly one of `literal: {value}`, `environment: {name, defaultValue}` (the proxy's environment)
// or `header: {name, defaultValue}` (a request header). Istio's `metadata` kind is not one of them.
import type { CustomTag } from './telemetry-types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';

const CUSTOM_TAG: FieldSet = { supported: ['literal', 'environment', 'header'] };
const LITERAL: FieldSet = { supported: ['value'] };
const NAMED: FieldSet = { supported: ['name', 'defaultValue'] };
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/;
const ENV_NAME = /^[^=\0]+$/;

export function readCustomTag(f: Field, tag: string): CustomTag {
  if (tag === '') f.error('a tag name must not be empty');
  f.object(CUSTOM_TAG, { required: true });
  const kinds = CUSTOM_TAG.supported.filter((k) => f.get(k).present);
  if (f.present && kinds.length !== 1) {
    f.error(`set exactly one of literal, environment, header (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`);
  }
  const literal = f.get('literal').ifPresent((l) => {
    l.object(LITERAL);
    return { value: l.get('value').string({ required: true }) ?? '' };
  });
  if (literal) return { literal };
  const environment = f.get('environment').ifPresent((e) => named(e, ENV_NAME, 'an environment variable name'));
  if (environment) return { environment };
  const header = f.get('header').ifPresent((h) => {
    const n = named(h, HEADER_NAME, 'an HTTP header name');
    return { ...n, name: n.name.toLowerCase() };
  });
  if (header) return { header };
  return { literal: { value: '' } }; // only reached with an error recorded above
}

function named(f: Field, re: RegExp, what: string): { name: string; defaultValue?: string } {
  f.object(NAMED);
  const nf = f.get('name');
  const name = nf.string({ required: true }) ?? '';
  if (name !== '' && !re.test(name)) nf.error(`expected ${what}, got ${JSON.stringify(name)}`);
  return compact({ name, defaultValue: f.get('defaultValue').string() });
}
