import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePath, removeDotSegments, type PathNormalizationConfig } from './normalize-path.js';

const BASE: PathNormalizationConfig = { normalize: true, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' };
const MERGE: PathNormalizationConfig = { ...BASE, mergeSlashes: true };
const DECODE: PathNormalizationConfig = { ...MERGE, escapedSlashes: 'UNESCAPE_AND_FORWARD' };
const NONE: PathNormalizationConfig = { normalize: false, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' };

test('dot segments are removed, never above the root (RFC 3986 5.2.4)', () => {
  assert.equal(removeDotSegments('/a/b/../c'), '/a/c');
  assert.equal(removeDotSegments('/../../admin'), '/admin');
  assert.equal(removeDotSegments('/a/./b/.'), '/a/b/');
  assert.equal(removeDotSegments('/a/..'), '/');
  assert.equal(normalizePath('/public/../admin', BASE), '/admin');
  assert.equal(normalizePath('/admin/../x', BASE), '/x');
});

test('BASE decodes unreserved escapes (%2e is a dot) and turns backslashes into slashes', () => {
  assert.equal(normalizePath('/%2e%2e/admin', BASE), '/admin');
  assert.equal(normalizePath('/public/%2E%2E/admin', BASE), '/admin');
  assert.equal(normalizePath('/%61dmin', BASE), '/admin');
  assert.equal(normalizePath('/a%20b', BASE), '/a%20b');
  assert.equal(normalizePath('/a%3fb', BASE), '/a%3Fb');
  assert.equal(normalizePath('/public\\..\\admin', BASE), '/admin');
  assert.equal(normalizePath('//admin', BASE), '//admin', 'BASE keeps double slashes');
  assert.equal(normalizePath('/ADMIN', BASE), '/ADMIN', 'no case folding (Envoy does none)');
});

test('invalid paths: fragments, malformed escapes and NUL are refused', () => {
  assert.equal(normalizePath('/admin#frag', BASE), undefined);
  assert.equal(normalizePath('/admin%00.txt', BASE), undefined);
  assert.equal(normalizePath('/a%zzb', BASE), undefined);
  assert.equal(normalizePath('/a%2', BASE), undefined);
  assert.equal(normalizePath('/admin#x', NONE), undefined);
});

test('MERGE_SLASHES merges; escaped slashes are kept, rejected or decoded by the action', () => {
  assert.equal(normalizePath('//admin///x', MERGE), '/admin/x');
  assert.equal(normalizePath('/public%2F..%2Fadmin', MERGE), '/public%2F..%2Fadmin');
  assert.equal(normalizePath('/public%2F..%2Fadmin', DECODE), '/admin');
  assert.equal(normalizePath('/public%5C..%5Cadmin', DECODE), '/admin');
  assert.equal(normalizePath('/a%2fb', { ...BASE, escapedSlashes: 'REJECT_REQUEST' }), undefined);
  assert.equal(normalizePath('/a/../b', NONE), '/a/../b', 'NONE leaves the path alone');
});
