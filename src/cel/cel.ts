// A small subset of CEL (Common Expression Language), the forms Istio's docs use in the Telemetry
// API: access-log filters (`response.code >= 400`, `request.headers['x-debug'] == 'true'`) and
// metric tag values (`'literal'`, `request.host`, `request.headers['user-agent']`).
//
// Compiled once per config into closures over an attribute reader; evaluation allocates little.
// Anything outside the subset is a CelError at compile time, naming what is not supported, so
// the control plane rejects it with the field path and the proxy NACKs it.
//
//   expr    := or ('?' expr ':' expr)?
//   or      := and ('||' and)*           and := rel ('&&' rel)*
//   rel     := add (('=='|'!='|'<'|'<='|'>'|'>='|'in') add)?
//   add     := unary (('+'|'-') unary)*  unary := ('!'|'-') unary | member
//   member  := primary ('.' method '(' args ')' | '[' expr ']')*
//   primary := int | string | true | false | null | attribute | fn '(' args ')' | '(' expr ')'
//
// Attributes are Envoy's (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/advanced/attributes),
// see ATTRIBUTES below. Header maps are read by lower-cased name.

export type CelValue = string | number | boolean | null | HeaderMap;

/** A header/trailer map attribute: `request.headers['x']`, `'x' in request.headers`. */
export interface HeaderMap {
  readonly kind: 'headers';
  get(name: string): string | undefined;
}

export type ScalarAttribute = (typeof SCALARS)[number];
export type MapAttribute = 'request.headers' | 'response.headers' | 'response.trailers';

/** What a compiled expression reads: one request (or TCP connection) as attributes. */
export interface CelAttributes {
  scalar(name: ScalarAttribute): string | number | boolean | undefined;
  header(map: MapAttribute, lowerName: string): string | undefined;
}

export const SCALARS = [
  'request.method',
  'request.path',
  'request.url_path',
  'request.host',
  'request.scheme',
  'request.protocol',
  'request.id',
  'request.useragent',
  'request.referer',
  'request.size',
  'request.duration',
  'response.code',
  'response.code_details',
  'response.flags',
  'response.grpc_status',
  'response.size',
  'source.address',
  'source.port',
  'destination.address',
  'destination.port',
  'upstream.address',
  'upstream.port',
  'upstream.transport_failure_reason',
  'connection.mtls',
  'connection.requested_server_name',
  'connection.termination_details',
  'xds.cluster_name',
  'xds.route_name',
] as const;

const MAPS: readonly MapAttribute[] = ['request.headers', 'response.headers', 'response.trailers'];

export class CelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelError';
  }
}

/** A compiled expression. Runtime errors (a missing attribute, a type mismatch) throw CelError. */
export type CelProgram = (a: CelAttributes) => CelValue;

/** Compiles `source`; throws CelError naming what is not supported. */
export function compileCel(source: string): CelProgram {
  const p = new Parser(tokenize(source), source);
  const prog = p.expr();
  p.end();
  return prog;
}

/** Returns the problem with `source`, or undefined when it compiles (for validators). */
export function celProblem(source: string): string | undefined {
  try {
    compileCel(source);
    return undefined;
  } catch (e) {
    return e instanceof CelError ? e.message : String(e);
  }
}

/** Runs a filter: true only when the expression evaluates to true (errors and non-bools are false). */
export function celTest(prog: CelProgram, a: CelAttributes): boolean {
  try {
    return prog(a) === true;
  } catch {
    return false;
  }
}

/** Runs a value expression as a string; `fallback` when it errors or yields null / a map. */
export function celString(prog: CelProgram, a: CelAttributes, fallback: string): string {
  try {
    const v = prog(a);
    if (v === null || typeof v === 'object') return fallback;
    return String(v);
  } catch {
    return fallback;
  }
}

// ---------------------------------------------------------------- tokens

type Tok =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string }
  | { t: 'end' };

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.', ',', '+', '-', '?', ':'];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+u?/.exec(src.slice(i))![0];
      out.push({ t: 'num', v: Number(m.replace('u', '')) });
      i += m.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      out.push({ t: 'id', v: m });
      i += m.length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new CelError(`unterminated string starting at offset ${i}`);
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelError(`unexpected character ${JSON.stringify(c)} at offset ${i}`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  out.push({ t: 'end' });
  return out;
}

// ---------------------------------------------------------------- parser → closures

/** A parsed operand: a program, plus the attribute path when it is (so far) a bare attribute. */
interface Node {
  prog: CelProgram;
  /** Dotted identifiers read so far ("request", "request.headers"); undefined once it is a value. */
  path?: string;
}

const num = (v: CelValue, what: string): number => {
  if (typeof v !== 'number') throw new CelError(`${what}: expected a number`);
  return v;
};
const strv = (v: CelValue, what: string): string => {
  if (typeof v !== 'string') throw new CelError(`${what}: expected a string`);
  return v;
};

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly src: string,
  ) {}

  private peek(): Tok {
    return this.toks[this.i]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private take(v: string): void {
    if (!this.isOp(v)) throw new CelError(`expected "${v}" in ${JSON.stringify(this.src)}`);
    this.i++;
  }

  end(): void {
    if (this.peek().t !== 'end') throw new CelError(`unexpected ${describeTok(this.peek())} in ${JSON.stringify(this.src)}`);
  }

  expr(): CelProgram {
    const cond = this.or();
    if (!this.isOp('?')) return cond;
    this.i++;
    const a = this.expr();
    this.take(':');
    const b = this.expr();
    return (x) => (cond(x) === true ? a(x) : b(x));
  }

  private or(): CelProgram {
    let l = this.and();
    while (this.isOp('||')) {
      this.i++;
      const a = l;
      const b = this.and();
      l = (x) => a(x) === true || b(x) === true;
    }
    return l;
  }

  private and(): CelProgram {
    let l = this.rel();
    while (this.isOp('&&')) {
      this.i++;
      const a = l;
      const b = this.rel();
      l = (x) => a(x) === true && b(x) === true;
    }
    return l;
  }

  private rel(): CelProgram {
    const l = this.add();
    const t = this.peek();
    const op = t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v) ? t.v : t.t === 'id' && t.v === 'in' ? 'in' : undefined;
    if (!op) return l;
    this.i++;
    const r = this.add();
    switch (op) {
      case '==':
        return (x) => celEquals(l(x), r(x));
      case '!=':
        return (x) => !celEquals(l(x), r(x));
      case 'in':
        return (x) => {
          const m = r(x);
          if (m === null || typeof m !== 'object') throw new CelError('"in" needs a header map on the right');
          return m.get(strv(l(x), '"in"').toLowerCase()) !== undefined;
        };
      default:
        return (x) => compare(op, l(x), r(x));
    }
  }

  private add(): CelProgram {
    let l = this.unary();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.peek() as { v: string }).v;
      this.i++;
      const a = l;
      const b = this.unary();
      l =
        op === '+'
          ? (x) => {
              const va = a(x);
              const vb = b(x);
              if (typeof va === 'string' && typeof vb === 'string') return va + vb;
              return num(va, '+') + num(vb, '+');
            }
          : (x) => num(a(x), '-') - num(b(x), '-');
    }
    return l;
  }

  private unary(): CelProgram {
    if (this.isOp('!')) {
      this.i++;
      const a = this.unary();
      return (x) => {
        const v = a(x);
        if (typeof v !== 'boolean') throw new CelError('"!" needs a bool');
        return !v;
      };
    }
    if (this.isOp('-')) {
      this.i++;
      const a = this.unary();
      return (x) => -num(a(x), 'unary -');
    }
    return this.finish(this.member());
  }

  /** A node that is still a bare attribute path must name a known attribute. */
  private finish(n: Node): CelProgram {
    if (n.path !== undefined) return attributeProgram(n.path);
    return n.prog;
  }

  private member(): Node {
    let n = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        this.i++;
        const t = this.peek();
        if (t.t !== 'id') throw new CelError(`expected a name after "." in ${JSON.stringify(this.src)}`);
        this.i++;
        if (this.isOp('(')) {
          const recv = this.finish(n);
          n = { prog: this.method(t.v, recv) };
        } else if (n.path !== undefined) {
          n = { prog: n.prog, path: `${n.path}.${t.v}` };
        } else {
          throw new CelError(`field selection ".${t.v}" on a value is not supported`);
        }
      } else if (this.isOp('[')) {
        this.i++;
        const key = this.expr();
        this.take(']');
        const map = this.finish(n);
        n = {
          prog: (x) => {
            const m = map(x);
            if (m === null || typeof m !== 'object') throw new CelError('index needs a header map');
            const v = m.get(strv(key(x), 'index').toLowerCase());
            if (v === undefined) throw new CelError('no such key');
            return v;
          },
        };
      } else return n;
    }
  }

  private args(): CelProgram[] {
    this.take('(');
    const out: CelProgram[] = [];
    if (!this.isOp(')')) {
      out.push(this.expr());
      while (this.isOp(',')) {
        this.i++;
        out.push(this.expr());
      }
    }
    this.take(')');
    return out;
  }

  private method(name: string, recv: CelProgram): CelProgram {
    const args = this.args();
    const one = (): CelProgram => {
      if (args.length !== 1) throw new CelError(`${name}() takes one argument`);
      return args[0]!;
    };
    switch (name) {
      case 'startsWith': {
        const a = one();
        return (x) => strv(recv(x), name).startsWith(strv(a(x), name));
      }
      case 'endsWith': {
        const a = one();
        return (x) => strv(recv(x), name).endsWith(strv(a(x), name));
      }
      case 'contains': {
        const a = one();
        return (x) => strv(recv(x), name).includes(strv(a(x), name));
      }
      case 'matches': {
        const a = one();
        const re = new Map<string, RegExp>();
        return (x) => {
          const pattern = strv(a(x), name);
          let r = re.get(pattern);
          if (!r) {
            r = new RegExp(pattern);
            if (re.size < 16) re.set(pattern, r);
          }
          return r.test(strv(recv(x), name));
        };
      }
      case 'size':
        if (args.length !== 0) throw new CelError('size() takes no argument');
        return (x) => strv(recv(x), name).length;
      default:
        throw new CelError(`method ${name}() is not supported (supported: startsWith, endsWith, contains, matches, size)`);
    }
  }

  private primary(): Node {
    const t = this.peek();
    this.i++;
    if (t.t === 'num') return { prog: () => t.v };
    if (t.t === 'str') return { prog: () => t.v };
    if (t.t === 'op' && t.v === '(') {
      const e = this.expr();
      this.take(')');
      return { prog: e };
    }
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') {
        const b = t.v === 'true';
        return { prog: () => b };
      }
      if (t.v === 'null') return { prog: () => null };
      if (this.isOp('(')) return { prog: this.func(t.v) };
      return { prog: () => null, path: t.v };
    }
    this.i--;
    throw new CelError(`unexpected ${describeTok(t)} in ${JSON.stringify(this.src)}`);
  }

  private func(name: string): CelProgram {
    if (!['string', 'int', 'size'].includes(name)) throw new CelError(`function ${name}() is not supported (supported: string, int, size)`);
    const args = this.args();
    if (args.length !== 1) throw new CelError(`${name}() takes one argument`);
    const a = args[0]!;
    switch (name) {
      case 'string':
        return (x) => {
          const v = a(x);
          if (v !== null && typeof v === 'object') throw new CelError('string() of a map');
          return String(v);
        };
      case 'int':
        return (x) => {
          const v = a(x);
          const n = typeof v === 'string' ? Number.parseInt(v, 10) : typeof v === 'number' ? Math.trunc(v) : Number.NaN;
          if (Number.isNaN(n)) throw new CelError('int() of a non-number');
          return n;
        };
      case 'size':
        return (x) => strv(a(x), 'size').length;
      default:
        throw new CelError(`function ${name}() is not supported (supported: string, int, size)`);
    }
  }
}

function describeTok(t: Tok): string {
  return t.t === 'end' ? 'end of expression' : JSON.stringify(String(t.v));
}

function attributeProgram(path: string): CelProgram {
  if ((SCALARS as readonly string[]).includes(path)) {
    const name = path as ScalarAttribute;
    return (x) => {
      const v = x.scalar(name);
      if (v === undefined) throw new CelError(`${name} is not available`);
      return v;
    };
  }
  if ((MAPS as readonly string[]).includes(path)) {
    const name = path as MapAttribute;
    return (x) => ({ kind: 'headers', get: (k: string) => x.header(name, k) });
  }
  throw new CelError(`unknown attribute ${path} (supported: ${[...SCALARS, ...MAPS].join(', ')})`);
}

function celEquals(a: CelValue, b: CelValue): boolean {
  if (typeof a === 'object' || typeof b === 'object') return a === b;
  return a === b;
}

function compare(op: string, a: CelValue, b: CelValue): boolean {
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string'))) {
    throw new CelError(`"${op}" needs two numbers or two strings`);
  }
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}
