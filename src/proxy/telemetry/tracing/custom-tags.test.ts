import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCustomTags, decodeCustomTags } from './custom-tags.js';
import type { RequestHead } from '../../http/codec/h1/request-parser.js';

const req = (headers: string[]): RequestHead => ({ headers } as unknown as RequestHead);

test('custom tags: literal, environment read at decode time (default when unset, left off without one), request header per request', () => {
  const env = { POD: 'order-7', EMPTY: '' };
  const tags = decodeCustomTags(
    [
      { tag: 'zone', literal: { value: 'eu-1' } },
      { tag: 'pod', environment: { name: 'POD', default_value: 'x' } },
      { tag: 'empty', environment: { name: 'EMPTY' } },
      { tag: 'node', environment: { name: 'NOPE', default_value: 'n/a' } },
      { tag: 'gone', environment: { name: 'NOPE' } },
      { tag: 'user', request_header: { name: 'X-User', default_value: 'anonymous' } },
      { tag: 'tenant', request_header: { name: 'x-tenant' } },
    ],
    'c',
    env,
  );
  assert.deepEqual(tags, [
    { tag: 'zone', value: 'eu-1' },
    { tag: 'pod', value: 'order-7' },
    { tag: 'empty', value: '' },
    { tag: 'node', value: 'n/a' },
    { tag: 'user', header: 'x-user', defaultValue: 'anonymous' },
    { tag: 'tenant', header: 'x-tenant' },
  ]);
  const withHeaders: Record<string, string> = { component: 'proxy' };
  applyCustomTags(withHeaders, tags, req(['x-user', 'alice', 'x-tenant', 'a', 'x-tenant', 'b']));
  assert.deepEqual(withHeaders, { component: 'proxy', zone: 'eu-1', pod: 'order-7', empty: '', node: 'n/a', user: 'alice', tenant: 'a,b' });
  const without: Record<string, string> = {};
  applyCustomTags(without, tags, req([]));
  assert.equal(without.user, 'anonymous');
  assert.equal('tenant' in without, false, 'no header, no default: no tag');
});
