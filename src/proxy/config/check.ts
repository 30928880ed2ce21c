// Small readers for decoded xDS JSON that name the field path in every complaint; a complaint
// becomes the NACK's error_detail, so the operator sees exactly what the proxy refused.

export class ConfigRejection extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ConfigRejection';
  }
}

export type J = Record<string, unknown>;

export function obj(v: unknown, path: string): J {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigRejection(path, 'expected an object');
  return v as J;
}

export function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ConfigRejection(path, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

export function optStr(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : str(v, path);
}

export function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigRejection(path, `expected a number, got ${JSON.stringify(v)}`);
  return v;
}

export function bool(v: unknown, path: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigRejection(path, 'expected a boolean');
  return v;
}

export function arr(v: unknown, path: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigRejection(path, 'expected a list');
  return v;
}

/** Rejects any field this proxy does not implement: silently ignoring config is how meshes lie. */
export function only(o: J, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ConfigRejection(`${path}.${k}`, 'field not supported by this proxy');
  }
}

export function durationMs(v: unknown, path: string, dflt: number): number {
  if (v === undefined) return dflt;
  const s = str(v, path);
  const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(s);
  if (!m) throw new ConfigRejection(path, `expected a duration like "1.5s", got "${s}"`);
  return Number(m[1]) * 1000 + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/** Envoy's safe_regex is RE2 with full-match semantics; JS RegExp covers the RE2 subset we accept. */
export function compileRegex(re: string, path: string, ignoreCase: boolean): RegExp {
  try {
    return new RegExp(`^(?:${re})$`, ignoreCase ? 'i' : '');
  } catch (err) {
    throw new ConfigRejection(path, `invalid regex: ${err instanceof Error ? err.message : String(err)}`);
  }
}
