// Shared by the api tests: locating fixtures from the compiled dist/ location, and writing
// small YAML documents inline.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ConfigError } from './errors.js';
import { parseYamlText } from './parse.js';
import type { KindName, Resource } from './types.js';
import { apiVersionsFor } from './validate-resource.js';
import { repoRoot } from '../testing/repo-root.js';


/** A path under src/api/testdata. */
export function testdata(...parts: string[]): string {
  return join(repoRoot(), 'src', 'api', 'testdata', ...parts);
}

/** Removes the common leading indentation (and a leading blank line) of a template literal. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join('\n');
}

/** A whole document of `kind` named "test" whose spec is the given YAML (indentation free). */
export function withSpec(kind: KindName, spec: string): string {
  const body = dedent(spec)
    .split('\n')
    .map((l) => (l.trim() === '' ? l : `  ${l}`))
    .join('\n');
  return `apiVersion: ${apiVersionsFor(kind)[0]}\nkind: ${kind}\nmetadata:\n  name: test\nspec:\n${body}\n`;
}

export interface Parsed {
  resources: Resource[];
  errors: ConfigError[];
  /** "path: message" for each error, "warning path: message" for each warning. */
  problems: string[];
}

export function parse(text: string, file = 'test.yaml'): Parsed {
  const r = parseYamlText(text, file);
  const problems = r.errors.map((e) => `${e.severity === 'warning' ? 'warning ' : ''}${e.path}: ${e.message}`);
  return { ...r, problems };
}

/** Parses a document that must be valid (warnings allowed) and returns its resource. */
export function parseValid<K extends KindName>(kind: K, text: string): Extract<Resource, { kind: K }> {
  const r = parse(text);
  assert.deepEqual(r.problems.filter((p) => !p.startsWith('warning ')), [], 'expected no errors');
  assert.equal(r.resources.length, 1);
  const res = r.resources[0];
  assert.ok(res !== undefined && res.kind === kind);
  return res as Extract<Resource, { kind: K }>;
}

/** Parses a spec that must be rejected; returns the problems. */
export function rejected(kind: KindName, spec: string): string[] {
  const r = parse(withSpec(kind, spec));
  assert.equal(r.resources.length, 0, `expected the ${kind} to be rejected`);
  return r.problems;
}

/** Asserts some problem contains every one of the given substrings. */
export function assertProblem(problems: readonly string[], ...parts: string[]): void {
  const hit = problems.some((p) => parts.every((part) => p.includes(part)));
  assert.ok(hit, `no problem contains ${JSON.stringify(parts)}; got:\n  ${problems.join('\n  ')}`);
}
