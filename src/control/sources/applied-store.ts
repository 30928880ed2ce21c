// Resources applied through the API (`weft apply`). Kept in memory and persisted one file per
// resource under STATE/applied/, so they survive a control plane restart.
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Resource } from '../../api/types.js';
import { resourceKey } from '../../api/types.js';
import { formatConfigError } from '../../api/errors.js';
import { parseYamlText } from '../../api/parse.js';
import { toManifest } from '../../api/manifest.js';

function fileName(r: Resource): string {
  return `${r.kind}.${r.metadata.namespace}.${r.metadata.name}.yaml`;
}

function toYaml(r: Resource): string {
  return stringify(toManifest(r), { lineWidth: 0 });
}

export class AppliedStore {
  private readonly resources = new Map<string, Resource>();

  constructor(private readonly dir: string) {}

  /** Loads what was applied before a restart; returns load errors as text. */
  load(): string[] {
    const errors: string[] = [];
    fs.mkdirSync(this.dir, { recursive: true });
    for (const f of fs.readdirSync(this.dir).sort()) {
      if (!f.endsWith('.yaml')) continue;
      const file = path.join(this.dir, f);
      const parsed = parseYamlText(fs.readFileSync(file, 'utf8'), file);
      errors.push(...parsed.errors.filter((e) => e.severity === 'error').map(formatConfigError));
      for (const r of parsed.resources) this.resources.set(resourceKey(r), r);
    }
    return errors;
  }

  list(): Resource[] {
    return [...this.resources.values()];
  }

  has(key: string): boolean {
    return this.resources.has(key);
  }

  put(r: Resource): void {
    this.resources.set(resourceKey(r), r);
    fs.mkdirSync(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.${fileName(r)}.tmp`);
    fs.writeFileSync(tmp, toYaml(r));
    fs.renameSync(tmp, path.join(this.dir, fileName(r)));
  }

  remove(key: string): boolean {
    const r = this.resources.get(key);
    if (!r) return false;
    this.resources.delete(key);
    fs.rmSync(path.join(this.dir, fileName(r)), { force: true });
    return true;
  }
}
