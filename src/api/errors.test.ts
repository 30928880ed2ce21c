import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareConfigErrors, formatConfigError, hasErrors, type ConfigError } from './errors.js';

const weight: ConfigError = {
  file: 'shop.yaml',
  document: 3,
  kind: 'VirtualService',
  name: 'shipping',
  namespace: 'default',
  path: 'spec.http[0].route[0].weight',
  message: 'expected an integer 0..100, got "abc"',
  severity: 'error',
};

test('formats an error as file (document) Kind namespace/name: path: message', () => {
  assert.equal(
    formatConfigError(weight),
    'shop.yaml (document 3) VirtualService default/shipping: spec.http[0].route[0].weight: expected an integer 0..100, got "abc"',
  );
});

test('appends the line when known and prefixes warnings', () => {
  assert.equal(
    formatConfigError({ ...weight, severity: 'warning', path: 'spec.http[0].retries', message: 'ignored: not supported yet', line: 9 }),
    'warning: shop.yaml (document 3) VirtualService default/shipping: spec.http[0].retries: ignored: not supported yet (line 9)',
  );
});

test('leaves out what is unknown: document 0, no kind, no path', () => {
  assert.equal(
    formatConfigError({ file: 'conf', document: 0, path: '', message: 'cannot read: ENOENT', severity: 'error' }),
    'conf: cannot read: ENOENT',
  );
  assert.equal(
    formatConfigError({ file: 'a.yaml', document: 2, path: '', message: 'YAML syntax error at line 4, column 1: x', severity: 'error' }),
    'a.yaml (document 2): YAML syntax error at line 4, column 1: x',
  );
  assert.equal(formatConfigError({ ...weight, namespace: undefined, kind: undefined }), formatConfigError(weight).replace('VirtualService default/', ''));
});

test('hasErrors ignores warnings; compareConfigErrors orders by file, document, line', () => {
  assert.equal(hasErrors([{ ...weight, severity: 'warning' }]), false);
  assert.equal(hasErrors([{ ...weight, severity: 'warning' }, weight]), true);
  const list = [
    { ...weight, file: 'b.yaml' },
    { ...weight, document: 1, line: 9 },
    { ...weight, document: 1, line: 2 },
  ];
  assert.deepEqual(
    list.sort(compareConfigErrors).map((e) => `${e.file}:${e.document}:${e.line ?? '-'}`),
    ['b.yaml:3:-', 'shop.yaml:1:2', 'shop.yaml:1:9'],
  );
});
