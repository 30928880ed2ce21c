import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnsLabel } from './names.js';
import { closest, editDistance } from './suggest.js';
import { Field, Issues, checkUnique, compact, describe, formatPath } from './validate-common.js';

function read(value: unknown): { f: Field; problems: () => string[] } {
  const issues = new Issues();
  const f = Field.root(value, issues);
  return { f, problems: () => issues.list.map((i) => `${i.severity === 'warning' ? 'warning ' : ''}${formatPath(i.path)}: ${i.message}`) };
}

test('formatPath: dots, indexes, and quoted keys that are not identifiers', () => {
  assert.equal(formatPath(['spec', 'http', 0, 'route', 1, 'weight']), 'spec.http[0].route[1].weight');
  assert.equal(formatPath(['metadata', 'labels', 'app.kubernetes.io/name']), 'metadata.labels["app.kubernetes.io/name"]');
  assert.equal(formatPath(['headers', 'end-user']), 'headers.end-user');
  assert.equal(formatPath([]), '');
});

test('describe renders found values for messages', () => {
  assert.equal(describe('abc'), '"abc"');
  assert.equal(describe(42), '42');
  assert.equal(describe(null), 'null');
  assert.equal(describe([]), 'an empty list');
  assert.equal(describe([1]), 'a list');
  assert.equal(describe({}), 'a map');
  assert.ok(describe('x'.repeat(100)).endsWith('..."'));
});

test('scalar readers: required, defaults, type errors with paths', () => {
  const { f, problems } = read({ name: 'a', n: 'abc', port: 70000, flag: 'yes', mode: 'round_robin', q: 8080, empty: '' });
  assert.equal(f.get('name').string({ required: true }), 'a');
  assert.equal(f.get('missing').string({ default: 'dflt' }), 'dflt');
  assert.equal(f.get('missing').string(), undefined);
  assert.equal(f.get('missing2').string({ required: true }), '');
  assert.equal(f.get('empty').string({ required: true }), '');
  assert.equal(f.get('n').int({ min: 0, max: 100 }), undefined);
  assert.equal(f.get('port').int({ required: true, min: 1, max: 65535 }), 0);
  assert.equal(f.get('flag').bool(), undefined);
  assert.equal(f.get('mode').oneOf(['ROUND_ROBIN', 'RANDOM'] as const), undefined);
  assert.equal(f.get('q').string(), undefined);
  assert.deepEqual(problems(), [
    'missing2: required: expected a string',
    'empty: required: expected a string, got ""',
    'n: expected an integer 0..100, got "abc"',
    'port: expected an integer 1..65535, got 70000',
    'flag: expected true or false, got "yes"',
    'mode: expected one of ROUND_ROBIN, RANDOM, got "round_robin" (did you mean "ROUND_ROBIN"?)',
    'q: expected a string, got 8080 (a number: quote it as "8080")',
  ]);
});

test('oneOf: case-insensitive option and aliases with a warning', () => {
  const { f, problems } = read({ a: 'http', b: 'MONGO' });
  assert.equal(f.get('a').oneOf(['HTTP', 'TCP'] as const, { ignoreCase: true }), 'HTTP');
  assert.equal(f.get('b').oneOf(['HTTP', 'TCP'] as const, { aliases: { MONGO: { value: 'TCP', warning: 'as TCP' } } }), 'TCP');
  assert.deepEqual(problems(), ['warning b: as TCP']);
});

test('object: unknown fields are errors with suggestions; Istio fields not supported yet are warnings', () => {
  const { f, problems } = read({ destination: {}, weigth: 5, headers: {}, zzz: 1 });
  assert.equal(f.object({ supported: ['destination', 'weight'], notYet: ['headers'] }), true);
  assert.deepEqual(problems(), [
    'weigth: unknown field "weigth" (did you mean "weight"?)',
    'warning headers: ignored: not supported yet',
    'zzz: unknown field "zzz" (expected one of: destination, weight)',
  ]);
});

test('children of a missing or wrong-typed map report nothing more', () => {
  const { f, problems } = read({ dest: 'reviews' });
  f.get('dest').object({ supported: ['host'] }, { required: true });
  assert.equal(f.get('dest').get('host').string({ required: true }), '');
  f.get('absent').get('host').string({ required: true });
  assert.deepEqual(problems(), ['dest: expected a map, got "reviews"']);
});

test('list, stringList, map and stringMap', () => {
  const { f, problems } = read({ l: [1, 'x'], s: ['a', 2], m: { a: 1 }, e: { A: 'x', B: true, C: null }, notList: 'x', empty: [] });
  assert.deepEqual(f.get('l').list((i) => i.value), [1, 'x']);
  assert.deepEqual(f.get('s').stringList({ check: dnsLabel }), ['a', '']);
  assert.deepEqual(f.get('m').map((v) => v.int()), { a: 1 });
  assert.deepEqual(f.get('e').stringMap(), { A: 'x', B: '', C: '' });
  assert.deepEqual(f.get('notList').list((i) => i), []);
  assert.deepEqual(f.get('empty').list((i) => i, { nonEmpty: true, what: 'a non-empty list of hosts' }), []);
  assert.deepEqual(f.get('nothing').list((i) => i, { required: true }), []);
  assert.deepEqual(f.get('nothing').stringMap(), {});
  assert.deepEqual(problems(), [
    's[1]: expected a string, got 2 (a number: quote it as "2")',
    'e.B: expected a string, got true (a boolean: quote it as "true")',
    'e.C: expected a string, got null (write "" for an empty value)',
    'notList: expected a list, got "x"',
    'empty: expected a non-empty list of hosts, got an empty list',
    'nothing: required: expected a list',
  ]);
});

test('maps never write through __proto__', () => {
  const { f } = read(JSON.parse('{"m": {"__proto__": "x"}}'));
  const m = f.get('m').stringMap();
  assert.equal(Object.getPrototypeOf(m), Object.prototype);
  assert.deepEqual(Object.keys(m), ['__proto__']);
});

test('duration reader', () => {
  const { f, problems } = read({ a: '1.5s', b: 5, c: '5x' });
  assert.equal(f.get('a').duration(), 1500);
  assert.equal(f.get('b').duration(), undefined);
  assert.equal(f.get('c').duration(), undefined);
  assert.deepEqual(problems(), [
    'b: expected a duration like "1.5s", "100ms" or "2m", got 5 (add a unit: "5s")',
    'c: unknown unit "x" in "5x": expected one of h, m, s, ms, us, ns',
  ]);
});

test('checkUnique reports the later duplicate at its own path', () => {
  const { f, problems } = read({ subsets: [{ name: 'v1' }, { name: 'v2' }, { name: 'v1' }] });
  const items = f.get('subsets').list((s) => ({ name: s.get('name').string() ?? '' }));
  checkUnique(f.get('subsets'), items, 'name', (s) => s.name, 'subset name');
  assert.deepEqual(problems(), ['subsets[2].name: duplicate subset name "v1" (also at subsets[0].name)']);
});

test('compact drops undefined keys', () => {
  assert.deepEqual(Object.keys(compact({ a: 1, b: undefined, c: null })), ['a', 'c']);
});

test('closest: transpositions, case and snake_case, nothing when far', () => {
  assert.equal(closest('weigth', ['destination', 'weight']), 'weight');
  assert.equal(closest('Hosts', ['hosts', 'http']), 'hosts');
  assert.equal(closest('ignore_uri_case', ['ignoreUriCase', 'uri']), 'ignoreUriCase');
  assert.equal(closest('hots', ['hosts', 'http']), 'hosts');
  assert.equal(closest('banana', ['hosts', 'http']), undefined);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});
