import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatConfigError } from './errors.js';
import { parseYamlText } from './parse.js';
import { assertProblem, dedent, parse, testdata, withSpec } from './test-helpers.js';
import { ALL_KINDS } from './types.js';

test('a multi-document file with one bad document still loads the others', () => {
  const file = testdata('multi-doc-one-bad.yaml');
  const r = parseYamlText(readFileSync(file, 'utf8'), 'shop.yaml');
  assert.deepEqual(
    r.resources.map((x) => `${x.kind}/${x.metadata.namespace}/${x.metadata.name}@${x.source?.document}`),
    ['DestinationRule/shop/shipping@1', 'Workload/shop/shipping-v1@4'],
  );
  assert.equal(r.errors.length, 1);
  const e = r.errors[0];
  assert.ok(e);
  assert.deepEqual(
    { ...e },
    {
      file: 'shop.yaml',
      document: 2,
      kind: 'VirtualService',
      name: 'shipping',
      namespace: 'shop',
      path: 'spec.http[0].route[0].weight',
      message: 'expected an integer 0..100, got "abc"',
      severity: 'error',
      line: 27,
    },
  );
  assert.equal(
    formatConfigError(e),
    'shop.yaml (document 2) VirtualService shop/shipping: spec.http[0].route[0].weight: expected an integer 0..100, got "abc" (line 27)',
  );
});

test('a YAML syntax error is reported with its line; the other documents load', () => {
  const r = parseYamlText(readFileSync(testdata('syntax-error.yaml'), 'utf8'), 'syntax-error.yaml');
  assert.deepEqual(r.resources.map((x) => x.metadata.name), ['ok-before', 'ok-after']);
  assert.equal(r.errors.length, 1);
  const e = r.errors[0];
  assert.equal(e?.document, 2);
  assert.equal(e?.severity, 'error');
  assert.match(e?.message ?? '', /^YAML syntax error at line 1[34], column \d+: /);
});

test('duplicate keys and tabs are syntax errors with lines', () => {
  const dup = parse('apiVersion: networking.istio.io/v1\nkind: Gateway\nkind: Gateway\n');
  assertProblem(dup.problems, 'YAML syntax error at line 3, column 1', 'Map keys must be unique');
  const tabs = parse('kind: Gateway\nspec:\n\tservers: []\n');
  assertProblem(tabs.problems, 'YAML syntax error at line 3');
});

test('empty documents are ignored, but still counted', () => {
  // The comment belongs to the first document's header; the first "---" then starts an empty one.
  const text = '# just a comment\n---\n---\n' + withSpec('DestinationRule', 'host: reviews') + '---\n';
  const r = parse(text);
  assert.deepEqual(r.problems, []);
  assert.equal(r.resources[0]?.source?.document, 2);
  assert.equal(parse(withSpec('DestinationRule', 'host: a') + '---\n---\n' + withSpec('DestinationRule', 'host: b').replace('name: test', 'name: b')).resources[1]?.source?.document, 3);
  assert.deepEqual(parse('').resources, []);
  assert.deepEqual(parse('   \n# nothing\n').problems, []);
});

test('all three Istio apiVersions are accepted, and weft.dev/v1alpha1 for Workload', () => {
  for (const v of ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3']) {
    const r = parse(withSpec('DestinationRule', 'host: reviews').replace('networking.istio.io/v1', v));
    assert.deepEqual(r.problems, [], v);
    assert.equal(r.resources[0]?.apiVersion, v);
  }
  const w = parse(withSpec('Workload', 'service: a\ncommand: [x]'));
  assert.deepEqual(w.problems, []);
});

test('a wrong apiVersion names what is accepted', () => {
  const istio = parse(withSpec('DestinationRule', 'host: reviews').replace('networking.istio.io/v1', 'networking.istio.io/v2'));
  assert.deepEqual(istio.problems, [
    'apiVersion: expected one of networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3 for kind DestinationRule, got "networking.istio.io/v2" (did you mean "networking.istio.io/v1"?)',
  ]);
  const weft = parse(withSpec('Workload', 'service: a\ncommand: [x]').replace('weft.dev/v1alpha1', 'networking.istio.io/v1'));
  assert.deepEqual(weft.problems, ['apiVersion: expected weft.dev/v1alpha1 for kind Workload, got "networking.istio.io/v1"']);
  const missing = parse('kind: Gateway\nmetadata: {name: gw}\nspec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}\n');
  assert.deepEqual(missing.problems, ['apiVersion: required: expected a string']);
});

test('an unknown kind lists the supported kinds', () => {
  const r = parse('apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: x}\nspec: {}\n');
  assert.deepEqual(r.problems, [
    `kind: unsupported kind Sidecar (supported: ${ALL_KINDS.join(', ')})`,
  ]);
  assert.ok(ALL_KINDS.includes('VirtualService') && ALL_KINDS.includes('Workload'));
  assert.equal(r.errors[0]?.kind, 'Sidecar');
  const lower = parse('apiVersion: networking.istio.io/v1\nkind: virtualservice\nmetadata: {name: x}\nspec: {}\n');
  assertProblem(lower.problems, 'unsupported kind virtualservice', 'did you mean "VirtualService"?');
});

test('metadata: name required and DNS-1123, namespace defaults to "default", labels and annotations to {}', () => {
  const ok = parse(withSpec('DestinationRule', 'host: reviews'));
  assert.deepEqual(ok.resources[0]?.metadata, { name: 'test', namespace: 'default', labels: {}, annotations: {} });

  const noName = parse('apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {namespace: shop}\nspec: {host: r}\n');
  assert.deepEqual(noName.problems, ['metadata.name: required: expected a string']);

  const text = dedent(`
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata:
      name: Reviews_1
      namespace: My-Shop
      labels: {version: 1, "app.kubernetes.io/name": reviews}
      annotations: {"weft.dev/note": "x"}
      nmae: typo
      uid: 1234-abcd
    spec: {host: reviews}
  `);
  const bad = parse(text);
  assert.deepEqual(bad.problems, [
    'metadata.name: expected a DNS-1123 name (lower-case letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters), got "Reviews_1"',
    'metadata.namespace: expected a DNS label (lower-case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters), got "My-Shop"',
    'metadata.labels.version: expected a string, got 1 (a number: quote it as "1")',
    'metadata.nmae: unknown field "nmae" (did you mean "name"?)',
  ]);
});

test('the document must be a map; unknown top-level fields are errors, status is ignored', () => {
  assert.deepEqual(parse('- a\n- b\n').problems, [': expected a map with apiVersion, kind, metadata and spec, got a list']);
  const r = parse(withSpec('DestinationRule', 'host: reviews') + 'status: {observedGeneration: 1}\nspecs: {}\n');
  assert.deepEqual(r.problems, ['specs: unknown field "specs" (did you mean "spec"?)']);
  assert.deepEqual(parse('apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\n').problems, [
    'spec: required: expected a map',
  ]);
});

test('errors carry the line of the field they name (unknown fields point at their key)', () => {
  const text = withSpec('VirtualService', `
    hosts: [reviews]
    http:
    - route:
      - destination:
          host: reviews
        weigth: 100
  `);
  const r = parse(text);
  assert.equal(r.errors[0]?.path, 'spec.http[0].route[0].weigth');
  assert.equal(r.errors[0]?.line, 11);
});

test('aliases and merge keys work; warnings keep the resource', () => {
  const text = dedent(`
    apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: {name: reviews}
    spec:
      host: reviews
      trafficPolicy:
        tunnel: {protocol: CONNECT}
      subsets:
      - name: v1
        labels: &v1 {version: v1}
      - name: v1-canary
        labels:
          <<: *v1
          track: canary
  `);
  const r = parse(text);
  assert.deepEqual(r.problems, ['warning spec.trafficPolicy.tunnel: ignored: not supported yet']);
  const dr = r.resources[0];
  assert.ok(dr?.kind === 'DestinationRule');
  assert.deepEqual(dr.spec.subsets[1]?.labels, { version: 'v1', track: 'canary' });
});

test('fuzz: mutated fixtures never throw and every problem is well-formed', () => {
  const sources = ['bookinfo/reviews.yaml', 'bookinfo/workloads.yaml', 'bookinfo/external.yml', 'bookinfo/gateway.yaml', 'analyze/routes.yaml'].map(
    (f) => readFileSync(testdata(...f.split('/')), 'utf8'),
  );
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const noise = [':', '-', '[', ']', '{', '}', '"', "'", '*', '&a', '*a', '!!str', '|', '>', '#', '\t', ' ', '\n', '0', '-1', 'null', '~', 'true', '99999'];
  for (let i = 0; i < 400; i++) {
    const lines = (sources[rand(sources.length)] ?? '').split('\n');
    for (let m = 0; m < 1 + rand(4); m++) {
      const at = rand(lines.length);
      const line = lines[at] ?? '';
      switch (rand(4)) {
        case 0:
          lines.splice(at, 1);
          break;
        case 1:
          lines.splice(at, 0, line);
          break;
        case 2: {
          const col = rand(line.length + 1);
          lines[at] = line.slice(0, col) + (noise[rand(noise.length)] ?? '') + line.slice(col + 1);
          break;
        }
        default:
          lines[at] = line.replace(/: .*$/, `: ${noise[rand(noise.length)] ?? ''}`);
      }
    }
    const text = lines.join('\n');
    const r = parseYamlText(text, 'fuzz.yaml');
    for (const e of r.errors) {
      assert.ok(e.message.length > 0 && (e.severity === 'error' || e.severity === 'warning') && e.document >= 1, JSON.stringify(e));
      assert.ok(!e.message.includes('undefined'), `${formatConfigError(e)}\n--- input:\n${text}`);
    }
    for (const res of r.resources) assert.equal(res.source?.file, 'fuzz.yaml');
  }
});
