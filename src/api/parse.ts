// Multi-document YAML text → validated resources and errors. Each document stands alone: a bad
// one is reported and skipped, the others still load.

import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import type { ConfigError } from './errors.js';
import type { Resource } from './types.js';
import { formatPath, type Issue, type PathSegment } from './validate-common.js';
import { validateDocument } from './validate-resource.js';

export interface ParseResult {
  resources: Resource[];
  errors: ConfigError[];
}

/** Aliases may expand at most this many times per document ("billion laughs" guard). */
const MAX_ALIAS_COUNT = 100;

export function parseYamlText(text: string, file: string): ParseResult {
  const resources: Resource[] = [];
  const errors: ConfigError[] = [];
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  let index = 0;
  for (const doc of docs) {
    index++;
    const at = { file, document: index };
    const syntax = doc.errors[0];
    if (syntax !== undefined) {
      const { line, col } = lineCounter.linePos(syntax.pos[0]);
      errors.push({ ...at, path: '', severity: 'error', message: `YAML syntax error at line ${line}, column ${col}: ${syntax.message}` });
      continue;
    }
    for (const w of doc.warnings) {
      const { line } = lineCounter.linePos(w.pos[0]);
      errors.push({ ...at, path: '', severity: 'warning', message: `YAML: ${w.message}`, line });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      errors.push({ ...at, path: '', severity: 'error', message: `YAML: ${(e as Error).message}` });
      continue;
    }
    if (value === null || value === undefined) continue; // empty document ("---" with nothing after it)
    const result = validateDocument(value);
    const ids = {
      ...(result.kind !== undefined && { kind: result.kind }),
      ...(result.name !== undefined && { name: result.name }),
      ...(result.namespace !== undefined && { namespace: result.namespace }),
    };
    const found = result.issues.map((issue) => toConfigError(issue, { ...at, ...ids }, doc, lineCounter));
    errors.push(...found.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))); // stable: same line keeps order
    if (result.resource) {
      result.resource.source = { file, document: index };
      resources.push(result.resource);
    }
  }
  return { resources, errors };
}

/**
 * For finding lines after the fact (cross-resource analysis): parses `text` once and returns a
 * function giving the line of `path` inside the given 1-based document.
 */
export function documentLocator(text: string): (document: number, path: readonly PathSegment[]) => number | undefined {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true });
  return (document, path) => {
    const doc = docs[document - 1];
    if (doc === undefined) return undefined;
    const offset = offsetOf(doc, path);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
}

function toConfigError(
  issue: Issue,
  at: Pick<ConfigError, 'file' | 'document' | 'kind' | 'name' | 'namespace'>,
  doc: Document,
  lineCounter: LineCounter,
): ConfigError {
  const e: ConfigError = { ...at, path: formatPath(issue.path), message: issue.message, severity: issue.severity };
  const offset = offsetOf(doc, issue.path);
  if (offset !== undefined) e.line = lineCounter.linePos(offset).line;
  return e;
}

/**
 * Source offset of the deepest node along `path`: a map entry's key (so an unknown field points at
 * its own name) or a list item. Falls back to the nearest ancestor that exists.
 */
function offsetOf(doc: Document, path: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const seg of path) {
    if (isMap(node) && typeof seg === 'string') {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) break;
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
