// A typed field-path reader for untrusted YAML. Validators walk the document with Field values:
//
//   f.object(DESTINATION_FIELDS, { required: true });
//   const host = f.get('host').string({ required: true, check: hostname });
//   const weight = f.get('weight').int({ min: 0, max: 100 });
//
// Readers never throw. On a problem they record an Issue under the field's path and return a
// placeholder ('' / 0 / [] / {}) or undefined; the caller rejects the whole document when any
// error was recorded, so placeholders never reach a Resource. Children of a value that is absent
// or not a map are "muted": they record nothing, so one wrong-typed map yields one error, not one
// per field inside it.

import { parseDuration } from './duration.js';
import type { Severity } from './errors.js';
import { labelKey, labelValue, type Check } from './names.js';
import { didYouMean } from './suggest.js';

export type PathSegment = string | number;

export interface Issue {
  path: readonly PathSegment[];
  message: string;
  severity: Severity;
}

/** Fields a map may hold. */
export interface FieldSet {
  /** Fields Weft reads. */
  readonly supported: readonly string[];
  /** Fields of Istio's API that Weft does not implement yet: warned about, then ignored. */
  readonly notYet?: readonly string[];
  /** Fields accepted and ignored silently (e.g. Kubernetes bookkeeping in metadata). */
  readonly ignored?: readonly string[];
}

export const NOT_SUPPORTED_YET = 'ignored: not supported yet';

export class Issues {
  readonly list: Issue[] = [];

  add(path: readonly PathSegment[], severity: Severity, message: string): void {
    this.list.push({ path, severity, message });
  }

  get hasErrors(): boolean {
    return this.list.some((i) => i.severity === 'error');
  }
}

/** `spec.http[0].route[1].weight`; keys that are not identifier-like are quoted: `labels["app.kubernetes.io/name"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** How a found value reads in a message: `"abc"`, `42`, `true`, `null`, `a list`, `a map`. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

export function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Drops keys whose value is undefined, so optional fields are absent rather than `undefined`. */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) setOwn(out, k, v);
  return out as T;
}

/** Assigns without ever touching the prototype (a YAML key may be "__proto__"). */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

interface Presence<T> {
  /** Record "required" when absent. */
  required?: boolean;
  /** Value to use when absent. */
  default?: T;
}
type Definite<T> = { required: true } | { default: T };

export interface StringOptions extends Presence<string> {
  check?: Check;
  /** Phrase for the expected value in messages; default "a string". */
  what?: string;
}
export interface IntOptions extends Presence<number> {
  min?: number;
  max?: number;
}
export interface EnumOptions<T extends string> extends Presence<T> {
  /** Compare case-insensitively (input "http" reads as "HTTP"). */
  ignoreCase?: boolean;
  /** Accepted spellings that map to another value, optionally with a warning. */
  aliases?: Readonly<Record<string, { value: T; warning?: string }>>;
}
export interface ListOptions {
  required?: boolean;
  nonEmpty?: boolean;
  /** Phrase for the expected value in messages; default "a list". */
  what?: string;
}
export interface MapOptions {
  required?: boolean;
  keyCheck?: Check;
  what?: string;
}
export interface StringMapOptions extends MapOptions {
  valueCheck?: Check;
}

export class Field {
  constructor(
    readonly value: unknown,
    readonly path: readonly PathSegment[],
    private readonly issues: Issues,
    /** Set for children of a value that is absent or not a map: nothing is reported. */
    readonly muted = false,
  ) {}

  static root(value: unknown, issues: Issues): Field {
    return new Field(value, [], issues);
  }

  /** Present means neither absent nor YAML null (`field:` with nothing after it). */
  get present(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  get pathText(): string {
    return formatPath(this.path);
  }

  get(key: string): Field {
    const v = this.value;
    if (!isPlainMap(v)) return new Field(undefined, [...this.path, key], this.issues, true);
    return new Field(Object.hasOwn(v, key) ? v[key] : undefined, [...this.path, key], this.issues, this.muted);
  }

  at(index: number): Field {
    const v = this.value;
    if (!Array.isArray(v)) return new Field(undefined, [...this.path, index], this.issues, true);
    return new Field(v[index], [...this.path, index], this.issues, this.muted);
  }

  error(message: string): void {
    if (!this.muted) this.issues.add(this.path, 'error', message);
  }

  warn(message: string): void {
    if (!this.muted) this.issues.add(this.path, 'warning', message);
  }

  /** Records `expected <what>, got <found>`. */
  mismatch(what: string, hint = ''): void {
    this.error(`expected ${what}, got ${describe(this.value)}${hint}`);
  }

  /** Runs `read` only when the field is present; otherwise undefined. */
  ifPresent<T>(read: (f: Field) => T): T | undefined {
    return this.present ? read(this) : undefined;
  }

  /**
   * Checks the value is a map and that every key is known. Fields Istio has but Weft does not
   * support yet get a warning; anything else is an error with a "did you mean" suggestion.
   * Returns true when the value is a map.
   */
  object(fields: FieldSet, opts: { required?: boolean; what?: string } = {}): boolean {
    const what = opts.what ?? 'a map';
    if (!this.present) {
      if (opts.required) this.error(`required: expected ${what}`);
      return false;
    }
    if (!isPlainMap(this.value)) {
      this.mismatch(what);
      return false;
    }
    const known = [...fields.supported, ...(fields.notYet ?? [])];
    for (const key of Object.keys(this.value)) {
      if (fields.supported.includes(key) || fields.ignored?.includes(key)) continue;
      const child = this.get(key);
      if (fields.notYet?.includes(key)) child.warn(NOT_SUPPORTED_YET);
      else {
        const suggestion = didYouMean(key, known);
        child.error(`unknown field "${key}"${suggestion || ` (expected one of: ${fields.supported.join(', ')})`}`);
      }
    }
    return true;
  }

  string(opts: StringOptions & Definite<string>): string;
  string(opts?: StringOptions): string | undefined;
  string(opts: StringOptions = {}): string | undefined {
    const what = opts.what ?? 'a string';
    const v = this.value;
    if (!this.present || (opts.required && v === '')) return this.missing(opts, what, '');
    if (typeof v !== 'string') {
      this.mismatch(what, quoteHint(v));
      return this.placeholder(opts, '');
    }
    const problem = opts.check?.(v);
    if (problem !== undefined) {
      this.error(`${problem}, got ${describe(v)}`);
      return this.placeholder(opts, '');
    }
    return v;
  }

  int(opts: IntOptions & Definite<number>): number;
  int(opts?: IntOptions): number | undefined;
  int(opts: IntOptions = {}): number | undefined {
    const what = intPhrase(opts.min, opts.max);
    if (!this.present) return this.missing(opts, what, 0);
    const v = this.value;
    const ok =
      typeof v === 'number' &&
      Number.isInteger(v) &&
      (opts.min === undefined || v >= opts.min) &&
      (opts.max === undefined || v <= opts.max);
    if (!ok) {
      const hint = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? ' (remove the quotes)' : '';
      this.mismatch(what, hint);
      return this.placeholder(opts, 0);
    }
    return v;
  }

  bool(opts: Presence<boolean> & Definite<boolean>): boolean;
  bool(opts?: Presence<boolean>): boolean | undefined;
  bool(opts: Presence<boolean> = {}): boolean | undefined {
    if (!this.present) return this.missing(opts, 'true or false', false);
    if (typeof this.value !== 'boolean') {
      this.mismatch('true or false');
      return this.placeholder(opts, false);
    }
    return this.value;
  }

  /** One of a fixed set of strings (an Istio enum). */
  oneOf<T extends string>(allowed: readonly T[], opts: EnumOptions<T> & Definite<T>): T;
  oneOf<T extends string>(allowed: readonly T[], opts?: EnumOptions<T>): T | undefined;
  oneOf<T extends string>(allowed: readonly T[], opts: EnumOptions<T> = {}): T | undefined {
    const what = `one of ${allowed.join(', ')}`;
    if (!this.present) return this.missing(opts, what, allowed[0]);
    const v = this.value;
    if (typeof v !== 'string') {
      this.mismatch(what);
      return this.placeholder(opts, allowed[0]);
    }
    const key = opts.ignoreCase ? v.toUpperCase() : v;
    const hit = allowed.find((a) => (opts.ignoreCase ? a.toUpperCase() : a) === key);
    if (hit !== undefined) return hit;
    const alias = opts.aliases?.[key];
    if (alias !== undefined) {
      if (alias.warning !== undefined) this.warn(alias.warning);
      return alias.value;
    }
    this.mismatch(what, didYouMean(v, [...allowed, ...Object.keys(opts.aliases ?? {})]));
    return this.placeholder(opts, allowed[0]);
  }

  /** A duration string ("1.5s", "100ms") as milliseconds. */
  duration(opts: Presence<number> = {}): number | undefined {
    const what = 'a duration like "1.5s", "100ms" or "2m"';
    if (!this.present) return this.missing(opts, what, 0);
    if (typeof this.value !== 'string') {
      const hint = typeof this.value === 'number' ? ` (add a unit: "${this.value}s")` : '';
      this.mismatch(what, hint);
      return this.placeholder(opts, 0);
    }
    const r = parseDuration(this.value);
    if (!r.ok) {
      this.error(r.error);
      return this.placeholder(opts, 0);
    }
    return r.ms;
  }

  /** A list; each item read by `read`. Absent reads as []. */
  list<T>(read: (item: Field, index: number) => T, opts: ListOptions = {}): T[] {
    const what = opts.what ?? (opts.nonEmpty ? 'a non-empty list' : 'a list');
    if (!this.present) {
      if (opts.required) this.error(`required: expected ${what}`);
      return [];
    }
    if (!Array.isArray(this.value)) {
      this.mismatch(what);
      return [];
    }
    if (opts.nonEmpty && this.value.length === 0) this.mismatch(what);
    return this.value.map((_, i) => read(this.at(i), i));
  }

  /** A list of strings. Absent reads as []. */
  stringList(opts: ListOptions & { check?: Check; itemWhat?: string } = {}): string[] {
    return this.list((f) => f.string({ required: true, check: opts.check, what: opts.itemWhat }), opts);
  }

  /** A map with free-form keys; each value read by `read`. Absent reads as {}. */
  map<T>(read: (value: Field, key: string) => T, opts: MapOptions = {}): Record<string, T> {
    const what = opts.what ?? 'a map';
    const out: Record<string, T> = {};
    if (!this.present) {
      if (opts.required) this.error(`required: expected ${what}`);
      return out;
    }
    const v = this.value;
    if (!isPlainMap(v)) {
      this.mismatch(what);
      return out;
    }
    for (const key of Object.keys(v)) {
      const child = this.get(key);
      const problem = opts.keyCheck?.(key);
      if (problem !== undefined) child.error(`${problem}, got key ${JSON.stringify(key)}`);
      setOwn(out, key, read(child, key));
    }
    return out;
  }

  /** A map of strings to strings (labels, env). Numbers and booleans are errors asking to quote. */
  stringMap(opts: StringMapOptions = {}): Record<string, string> {
    const read = (f: Field): string => {
      if (f.present) return f.string({ check: opts.valueCheck }) ?? '';
      f.mismatch('a string', ' (write "" for an empty value)');
      return '';
    };
    return this.map(read, { ...opts, what: opts.what ?? 'a map of strings' });
  }

  private missing<T>(opts: Presence<T>, what: string, placeholder: T): T | undefined {
    if (opts.default !== undefined) return opts.default;
    if (opts.required) {
      this.error(`required: expected ${what}${this.value === '' ? ', got ""' : ''}`);
      return placeholder;
    }
    return undefined;
  }

  private placeholder<T>(opts: Presence<T>, placeholder: T): T | undefined {
    if (opts.default !== undefined) return opts.default;
    return opts.required ? placeholder : undefined;
  }
}

function intPhrase(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `an integer ${min}..${max}`;
  if (min !== undefined) return `an integer >= ${min}`;
  if (max !== undefined) return `an integer <= ${max}`;
  return 'an integer';
}

function quoteHint(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return ` (a ${typeof v}: quote it as "${String(v)}")`;
  return '';
}

/**
 * Records an error on each list item whose key repeats an earlier one, at `list[i].<field>`
 * (`field` may be dotted: "port.name"). Items whose key is undefined, "" or 0 (absent, or
 * already reported) are skipped.
 */
export function checkUnique<T>(
  list: Field,
  items: readonly T[],
  field: string,
  key: (item: T) => string | number | undefined,
  what = field.replace('.', ' '),
): void {
  const at = (i: number): Field => field.split('.').reduce((f, k) => f.get(k), list.at(i));
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (k === undefined || k === '' || k === 0) return;
    const first = seen.get(String(k));
    if (first === undefined) seen.set(String(k), i);
    else at(i).error(`duplicate ${what} ${JSON.stringify(k)} (also at ${at(first).pathText})`);
  });
}

/** A Kubernetes-style label map: keys and values checked like Kubernetes does; {} when absent. */
export function readLabels(f: Field, opts: { required?: boolean } = {}): Record<string, string> {
  return f.stringMap({ ...opts, keyCheck: labelKey, valueCheck: labelValue, what: 'a map of labels' });
}
