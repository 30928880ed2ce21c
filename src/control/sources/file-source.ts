// Watches directories of Kubernetes-style YAML. A file that fails validation is reported and its
// last good resources keep serving; a file never seen valid contributes nothing.
import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '../../api/types.js';
import { resourceKey } from '../../api/types.js';
import type { ConfigError } from '../../api/errors.js';
import { parseYamlText } from '../../api/parse.js';

export interface FileSourceOptions {
  dirs: string[];
  /** Rescan interval; fs.watch gives fast notice, the rescan is the safety net. */
  pollMs?: number;
  onResources: (resources: Resource[]) => void;
  onErrors: (errors: ConfigError[]) => void;
}

interface FileState {
  signature: string;
  resources: Resource[];
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export class FileSource {
  private readonly files = new Map<string, FileState>();
  private readonly watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private lastErrors = '';

  constructor(private readonly opts: FileSourceOptions) {}

  start(): void {
    this.scan(true);
    for (const dir of this.opts.dirs) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        this.watchers.push(fs.watch(dir, { recursive: true }, () => this.scheduleScan()));
      } catch {
        // Directory not watchable (e.g. removed): the periodic rescan still covers it.
      }
    }
    this.rescanTimer = setInterval(() => this.scan(false), this.opts.pollMs ?? 1000);
    this.rescanTimer.unref();
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    if (this.timer) clearTimeout(this.timer);
    if (this.rescanTimer) clearInterval(this.rescanTimer);
  }

  private scheduleScan(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.scan(false), 30);
  }

  /** Re-reads changed files; returns true if the resource set changed. */
  scan(force: boolean): boolean {
    const seen = new Set<string>();
    const errors: ConfigError[] = [];
    let changed = force;
    for (const dir of this.opts.dirs) {
      for (const file of listYaml(dir)) {
        seen.add(file);
        let stat: fs.Stats;
        let text: string;
        try {
          stat = fs.statSync(file);
          text = fs.readFileSync(file, 'utf8');
        } catch {
          continue;
        }
        const signature = `${stat.mtimeMs}:${stat.size}:${text.length}`;
        const prev = this.files.get(file);
        if (prev && prev.signature === signature && !force) {
          continue;
        }
        const parsed = parseYamlText(text, file);
        const bad = parsed.errors.filter((e) => e.severity === 'error');
        errors.push(...parsed.errors);
        if (bad.length > 0) {
          // Keep serving what this file last gave; remember the signature so we do not re-report.
          this.files.set(file, { signature, resources: prev?.resources ?? [] });
          continue;
        }
        this.files.set(file, { signature, resources: parsed.resources });
        changed = true;
      }
    }
    for (const file of [...this.files.keys()]) {
      if (!seen.has(file)) {
        this.files.delete(file);
        changed = true;
      }
    }
    const errText = JSON.stringify(errors);
    if (errors.length > 0 && errText !== this.lastErrors) this.opts.onErrors(errors);
    if (errors.length > 0 || changed) this.lastErrors = errors.length > 0 ? errText : '';
    if (changed) {
      // Files are visited in sorted order: the first definition of a resource wins, as in analyze.
      const seenKeys = new Map<string, Resource>();
      const dupes: ConfigError[] = [];
      for (const file of [...this.files.keys()].sort()) {
        for (const r of this.files.get(file)?.resources ?? []) {
          const key = resourceKey(r);
          const first = seenKeys.get(key);
          if (first) {
            dupes.push({
              file: r.source?.file ?? file,
              document: r.source?.document ?? 0,
              kind: r.kind,
              name: r.metadata.name,
              namespace: r.metadata.namespace,
              path: 'metadata.name',
              message: `duplicate of the resource in ${first.source?.file ?? '?'} (document ${first.source?.document ?? '?'}); this one is ignored`,
              severity: 'error',
            });
            continue;
          }
          seenKeys.set(key, r);
        }
      }
      if (dupes.length > 0) this.opts.onErrors(dupes);
      this.opts.onResources([...seenKeys.values()]);
    }
    return changed;
  }
}
