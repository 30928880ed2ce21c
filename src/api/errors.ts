// One shape for every problem found in config, whatever found it: YAML syntax, per-kind
// validation, duplicate detection or cross-resource analysis. The CLI, the file source and the
// dashboard all print these with formatConfigError.

export type Severity = 'error' | 'warning';

export interface ConfigError {
  /** The file as the caller named it (loadDirectory: the directory joined with the relative path). */
  file: string;
  /** 1-based index of the YAML document inside the file; 0 when the problem is about the whole file. */
  document: number;
  kind?: string;
  name?: string;
  namespace?: string;
  /** Field path like spec.http[0].route[1].weight; empty for a problem with the whole document. */
  path: string;
  /** What was expected and what was found. */
  message: string;
  severity: Severity;
  /** 1-based line in the file the path points at, when known. */
  line?: number;
}

/**
 * `shop.yaml (document 3) VirtualService default/shipping: spec.http[0].route[0].weight: expected
 * an integer 0..100, got "abc" (line 14)`. Warnings are prefixed with `warning: `.
 */
export function formatConfigError(e: ConfigError): string {
  let out = e.severity === 'warning' ? 'warning: ' : '';
  out += e.file;
  if (e.document > 0) out += ` (document ${e.document})`;
  const subject = formatSubject(e);
  if (subject !== '') out += ` ${subject}`;
  out += ': ';
  if (e.path !== '') out += `${e.path}: `;
  out += e.message;
  if (e.line !== undefined) out += ` (line ${e.line})`;
  return out;
}

function formatSubject(e: ConfigError): string {
  const kind = e.kind ?? '';
  if (e.name === undefined) return kind;
  const id = e.namespace === undefined ? e.name : `${e.namespace}/${e.name}`;
  return kind === '' ? id : `${kind} ${id}`;
}

export function hasErrors(errors: readonly ConfigError[]): boolean {
  return errors.some((e) => e.severity === 'error');
}

/** Stable order for printing: by file, document, line, then path. */
export function compareConfigErrors(a: ConfigError, b: ConfigError): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.document !== b.document) return a.document - b.document;
  const la = a.line ?? 0;
  const lb = b.line ?? 0;
  if (la !== lb) return la - lb;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return 0;
}
