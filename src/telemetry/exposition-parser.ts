// A strict parser for the text exposition format 0.0.4, for tests and tools that read our own
// /metrics and /stats/prometheus output back (not on any request path). Throws on anything
// malformed, including a second HELP or TYPE line for one metric.

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: ParsedSample[];
  help: Map<string, string>;
  types: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parseExposition(text: string): ParsedExposition {
  const result: ParsedExposition = { samples: [], help: new Map(), types: new Map() };
  const lines = text.split('\n');
  if (text.length > 0 && lines[lines.length - 1] !== '') throw new Error('exposition must end with a newline');
  lines.forEach((line, i) => {
    try {
      parseLine(line, result);
    } catch (err) {
      throw new Error(`line ${i + 1}: ${(err as Error).message}: ${JSON.stringify(line)}`, { cause: err });
    }
  });
  return result;
}

/** Samples named `name` whose labels include every pair in `labels`. */
export function findSamples(
  parsed: ParsedExposition,
  name: string,
  labels: Record<string, string> = {},
): ParsedSample[] {
  return parsed.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The value of the single sample matching, or undefined; throws if several match. */
export function sampleValue(
  parsed: ParsedExposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = findSamples(parsed, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

function parseLine(line: string, out: ParsedExposition): void {
  if (line === '') return;
  if (line.startsWith('#')) {
    const m = /^# (HELP|TYPE) ([^ ]+)(?: (.*))?$/.exec(line);
    if (m === null) return; // an ordinary comment
    const [, kind, name = '', rest = ''] = m;
    if (!NAME.test(name) || NAME.exec(name)?.[0] !== name) throw new Error(`bad metric name ${name}`);
    if (kind === 'HELP') {
      if (out.help.has(name)) throw new Error(`second HELP for ${name}`);
      out.help.set(name, unescape(rest, false));
    } else {
      if (out.types.has(name)) throw new Error(`second TYPE for ${name}`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) {
        throw new Error(`bad type ${rest}`);
      }
      out.types.set(name, rest);
    }
    return;
  }
  const nameMatch = NAME.exec(line);
  if (nameMatch === null) throw new Error('expected a metric name');
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    while (line[pos] !== '}') {
      const ln = LABEL_NAME.exec(line.slice(pos));
      if (ln === null) throw new Error(`expected a label name at ${pos}`);
      const labelName = ln[0];
      pos += labelName.length;
      if (line.slice(pos, pos + 2) !== '="') throw new Error(`expected =" at ${pos}`);
      pos += 2;
      let raw = '';
      while (pos < line.length && line[pos] !== '"') {
        if (line[pos] === '\\') {
          raw += line.slice(pos, pos + 2);
          pos += 2;
        } else {
          raw += line[pos];
          pos++;
        }
      }
      if (line[pos] !== '"') throw new Error('unterminated label value');
      pos++;
      if (Object.hasOwn(labels, labelName)) throw new Error(`duplicate label ${labelName}`);
      labels[labelName] = unescape(raw, true);
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') throw new Error(`expected , or } at ${pos}`);
    }
    pos++;
  }
  if (line[pos] !== ' ') throw new Error(`expected a space at ${pos}`);
  const fields = line.slice(pos + 1).split(' ');
  if (fields.length < 1 || fields.length > 2) throw new Error('expected value [timestamp]');
  out.samples.push({ name, labels, value: parseNumber(fields[0] ?? '') });
}

function parseNumber(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad number ${s}`);
  return Number(s);
}

function unescape(s: string, quotes: boolean): string {
  return s.replace(/\\(.)/g, (all, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === '"' && quotes) return '"';
    throw new Error(`bad escape ${all}`);
  });
}
