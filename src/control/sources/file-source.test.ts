import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSource } from './file-source.js';
import type { Resource } from '../../api/types.js';
import type { ConfigError } from '../../api/errors.js';

const VS = (name: string, host: string): string =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ${name}}\nspec:\n  hosts: [${host}]\n  http:\n  - route: [{destination: {host: ${host}}}]\n`;

function setup(): { dir: string; src: FileSource; last: () => Resource[]; errors: ConfigError[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-fs-'));
  let latest: Resource[] = [];
  const errors: ConfigError[] = [];
  const src = new FileSource({ dirs: [dir], onResources: (r) => (latest = r), onErrors: (e) => errors.push(...e) });
  return { dir, src, last: () => latest, errors };
}

test('a resource defined in two files: the first file in sorted order wins and the second is reported', () => {
  const { dir, src, last, errors } = setup();
  fs.writeFileSync(path.join(dir, 'a.yaml'), VS('dup', 'a-host'));
  fs.writeFileSync(path.join(dir, 'b.yaml'), VS('dup', 'b-host'));
  src.scan(true);
  assert.equal(last().length, 1);
  assert.deepEqual((last()[0] as Extract<Resource, { kind: 'VirtualService' }>).spec.hosts, ['a-host']);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /duplicate of the resource in .*a\.yaml/);
  assert.match(errors[0]!.file, /b\.yaml$/);
});

test('a file that becomes invalid keeps serving its last good resources', () => {
  const { dir, src, last, errors } = setup();
  const file = path.join(dir, 'vs.yaml');
  fs.writeFileSync(file, VS('one', 'good-host'));
  src.scan(true);
  assert.equal(last().length, 1);
  fs.writeFileSync(file, `${VS('one', 'good-host')}    weight: nope\n`);
  fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
  src.scan(false);
  assert.equal(last().length, 1, 'last good kept');
  assert.ok(errors.some((e) => e.severity === 'error' && /weight/.test(e.path)), JSON.stringify(errors));
});

test('a removed file removes its resources', () => {
  const { dir, src, last } = setup();
  fs.writeFileSync(path.join(dir, 'x.yaml'), VS('x', 'x-host'));
  src.scan(true);
  assert.equal(last().length, 1);
  fs.rmSync(path.join(dir, 'x.yaml'));
  assert.equal(src.scan(false), true);
  assert.equal(last().length, 0);
});
