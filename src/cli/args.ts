// A small flag parser for the verbs: "-o json", "-ojson", "--output=json", "-A", "--", and "-"
// as a value (stdin). Unknown flags are usage errors, not silently ignored.

import { UsageError } from './context.js';

export interface FlagDef {
  /** Key the parsed value is stored under. */
  key: string;
  /** Spellings, e.g. ['-o', '--output']. */
  names: readonly string[];
  /** True if the flag takes a value; false for switches like -A. */
  value: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  /** Values in command-line order (switches store 'true'). */
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[], defs: readonly FlagDef[], verb?: string): ParsedArgs {
  const byName = new Map<string, FlagDef>();
  for (const d of defs) for (const n of d.names) byName.set(n, d);
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const put = (key: string, v: string): void => {
    const list = flags.get(key);
    if (list) list.push(v);
    else flags.set(key, [v]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-' || !a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    let name = a;
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      name = a.slice(0, eq);
      inline = a.slice(eq + 1);
    } else if (!a.startsWith('--') && a.length > 2) {
      // "-ojson" or "-o=json": a short flag with its value attached.
      name = a.slice(0, 2);
      inline = a.slice(a[2] === '=' ? 3 : 2);
    }
    const def = byName.get(name);
    if (!def) throw new UsageError(`unknown flag "${a}"`, verb);
    if (!def.value) {
      if (inline !== undefined) throw new UsageError(`flag ${name} does not take a value`, verb);
      put(def.key, 'true');
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`flag ${name} needs a value`, verb);
      inline = next;
      i++;
    }
    put(def.key, inline);
  }
  return { positionals, flags };
}

/** The last value given for a flag (so later flags win, as in kubectl). */
export function flagValue(p: ParsedArgs, key: string): string | undefined {
  const list = p.flags.get(key);
  return list === undefined ? undefined : list[list.length - 1];
}

export function flagSet(p: ParsedArgs, key: string): boolean {
  return p.flags.has(key);
}

export type OutputFormat = 'table' | 'json' | 'yaml';

export const OUTPUT_FLAG: FlagDef = { key: 'output', names: ['-o', '--output'], value: true };

/** Reads -o; `allowed` lists the formats this verb supports. */
export function outputFormat(p: ParsedArgs, allowed: readonly OutputFormat[], verb: string): OutputFormat {
  const raw = flagValue(p, 'output') ?? 'table';
  const v = raw === 'wide' ? 'table' : raw;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new UsageError(`unsupported output format "${raw}"; use one of: ${allowed.join(', ')}`, verb);
  }
  return v as OutputFormat;
}
