import { test } from 'node:test';
import assert from 'node:assert/strict';
import { celProblem, celString, celTest, compileCel, type CelAttributes, type MapAttribute, type ScalarAttribute } from './cel.js';

function attrs(scalars: Partial<Record<ScalarAttribute, string | number | boolean>>, headers: Record<string, string> = {}): CelAttributes {
  return {
    scalar: (n) => scalars[n],
    header: (m: MapAttribute, k) => (m === 'request.headers' ? headers[k] : undefined),
  };
}

test('CEL: the filters Istio documents', () => {
  const a = attrs({ 'response.code': 503, 'request.method': 'GET', 'request.url_path': '/api/v1', 'xds.cluster_name': 'outbound|80||a' }, { 'x-debug': 'true' });
  assert.equal(celTest(compileCel('response.code >= 400'), a), true);
  assert.equal(celTest(compileCel('response.code >= 500 && response.code < 600'), a), true);
  assert.equal(celTest(compileCel('response.code == 200'), a), false);
  assert.equal(celTest(compileCel("request.headers['x-debug'] == 'true'"), a), true);
  assert.equal(celTest(compileCel("request.headers['X-Debug'] == 'true'"), a), true, 'header names are case-insensitive');
  assert.equal(celTest(compileCel("'x-debug' in request.headers"), a), true);
  assert.equal(celTest(compileCel("!('x-other' in request.headers)"), a), true);
  assert.equal(celTest(compileCel("request.url_path.startsWith('/api') || request.method == 'POST'"), a), true);
  assert.equal(celTest(compileCel("request.url_path.contains('v2')"), a), false);
  assert.equal(celTest(compileCel("xds.cluster_name.endsWith('||a')"), a), true);
  assert.equal(celTest(compileCel("request.url_path.matches('^/api/v[0-9]+$')"), a), true);
});

test('CEL: errors (a missing header or attribute) make a filter false, a value the fallback', () => {
  const a = attrs({ 'response.code': 200 });
  assert.equal(celTest(compileCel("request.headers['x-none'] == 'a'"), a), false);
  assert.equal(celTest(compileCel('request.method == "GET"'), a), false);
  assert.equal(celTest(compileCel("response.code > 'a'"), a), false, 'type mismatch');
  assert.equal(celString(compileCel("request.headers['x-none']"), a, 'unknown'), 'unknown');
});

test('CEL: value expressions for metric tags', () => {
  const a = attrs({ 'request.host': 'shop.example', 'response.code': 404, 'destination.port': 8080 }, { 'x-user-tier': 'gold' });
  assert.equal(celString(compileCel("'literal'"), a, '?'), 'literal');
  assert.equal(celString(compileCel('request.host'), a, '?'), 'shop.example');
  assert.equal(celString(compileCel("request.headers['x-user-tier']"), a, '?'), 'gold');
  assert.equal(celString(compileCel('string(destination.port)'), a, '?'), '8080');
  assert.equal(celString(compileCel("'code-' + string(response.code)"), a, '?'), 'code-404');
  assert.equal(celString(compileCel("response.code >= 400 ? 'error' : 'ok'"), a, '?'), 'error');
  assert.equal(celString(compileCel("int('42') + 1"), a, '?'), '43');
  assert.equal(celString(compileCel("size(request.host)"), a, '?'), '12');
});

test('CEL: what is outside the subset is a compile error naming it', () => {
  assert.match(celProblem('request.bogus == 1') ?? '', /unknown attribute request\.bogus/);
  assert.match(celProblem('response.code >=') ?? '', /unexpected end of expression/);
  assert.match(celProblem("request.url_path.lowerAscii()") ?? '', /method lowerAscii\(\) is not supported/);
  assert.match(celProblem('timestamp(1)') ?? '', /function timestamp\(\) is not supported/);
  assert.match(celProblem("'unterminated") ?? '', /unterminated string/);
  assert.match(celProblem('a # b') ?? '', /unexpected character/);
  assert.equal(celProblem('response.code >= 400'), undefined);
});
