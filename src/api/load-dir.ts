// A directory of YAML files → resources. Files load in sorted order, so "first" is stable when
// the same resource is defined twice.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ConfigError } from './errors.js';
import { documentLocator, parseYamlText, type ParseResult } from './parse.js';
import { resourceKey, type Resource } from './types.js';

/**
 * Loads every *.yaml / *.yml file under `dir` (recursively, sorted, skipping dot-files and
 * dot-directories), then drops duplicates. `dir` may also name a single file. Resource sources
 * and errors name files as `join(dir, relativePath)`.
 */
export function loadDirectory(dir: string): ParseResult {
  let files: string[];
  try {
    files = statSync(dir).isFile() ? [dir] : listYamlFiles(dir).map((f) => join(dir, f));
  } catch (e) {
    return { resources: [], errors: [fileError(dir, `cannot read: ${(e as Error).message}`)] };
  }
  const resources: Resource[] = [];
  const errors: ConfigError[] = [];
  const texts = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      errors.push(fileError(file, `cannot read: ${(e as Error).message}`));
      continue;
    }
    texts.set(file, text);
    const r = parseYamlText(text, file);
    resources.push(...r.resources);
    errors.push(...r.errors);
  }
  const deduped = dropDuplicates(resources);
  for (const e of deduped.errors) {
    const text = texts.get(e.file);
    const line = text === undefined ? undefined : documentLocator(text)(e.document, ['metadata', 'name']);
    if (line !== undefined) e.line = line;
  }
  return { resources: deduped.resources, errors: [...errors, ...deduped.errors] };
}

/** Relative paths ("/"-separated) of the YAML files under `dir`, sorted by code point. */
export function listYamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(d, entry.name);
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(full));
      if (isDir) {
        if (!entry.isSymbolicLink()) walk(full); // never follow directory links: no cycles
      } else if (/\.ya?ml$/.test(entry.name)) {
        out.push(relative(dir, full).split(sep).join('/'));
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Keeps the first of each kind/namespace/name; each later one is dropped and reported as an
 * error on that later one.
 */
export function dropDuplicates(resources: readonly Resource[]): ParseResult {
  const first = new Map<string, Resource>();
  const kept: Resource[] = [];
  const errors: ConfigError[] = [];
  for (const r of resources) {
    const key = resourceKey(r);
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, r);
      kept.push(r);
      continue;
    }
    const where = earlier.source ? `${earlier.source.file} (document ${earlier.source.document})` : 'an earlier document';
    errors.push({
      file: r.source?.file ?? '',
      document: r.source?.document ?? 0,
      kind: r.kind,
      name: r.metadata.name,
      namespace: r.metadata.namespace,
      path: 'metadata.name',
      message: `duplicate ${r.kind} ${r.metadata.namespace}/${r.metadata.name}: already defined in ${where}; this one is ignored`,
      severity: 'error',
    });
  }
  return { resources: kept, errors };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function fileError(file: string, message: string): ConfigError {
  return { file, document: 0, path: '', message, severity: 'error' };
}
