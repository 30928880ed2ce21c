// Reads the YAML that `apply -f` / `delete -f` send: a file, a directory of .yaml/.yml/.json
// files (recursively with -R), or "-" for stdin. Sources are absolute paths so the control plane
// can resolve paths relative to the file (a Workload's workingDir) and name the file in errors.

import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SOURCE_HEADER } from '../control/debug/server.js';
import { UsageError } from './context.js';
import type { CliContext } from './context.js';
import { parseJson, request, stringList } from './http.js';

export interface Manifest {
  /** Absolute path, or "stdin". */
  source: string;
  text: string;
}

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

export class ManifestError extends Error {}

async function readStdin(ctx: CliContext): Promise<string> {
  if (ctx.stdin.isTTY) ctx.err('reading YAML from stdin (end with Ctrl-D)');
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function listDir(dir: string, recursive: boolean): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive && e.name !== 'node_modules') files.push(...(await listDir(full, true)));
    } else if (e.isFile() && MANIFEST_EXT.has(path.extname(e.name).toLowerCase())) {
      files.push(full);
    }
  }
  return files;
}

/** Expands every -f target, in order. Throws ManifestError for missing paths or empty directories. */
export async function readManifests(targets: readonly string[], recursive: boolean, ctx: CliContext): Promise<Manifest[]> {
  if (targets.length === 0) throw new UsageError('missing -f FILE|DIR|-');
  const out: Manifest[] = [];
  let usedStdin = false;
  for (const t of targets) {
    if (t === '-') {
      if (usedStdin) throw new UsageError('"-f -" (stdin) may be given only once');
      usedStdin = true;
      out.push({ source: 'stdin', text: await readStdin(ctx) });
      continue;
    }
    const abs = path.resolve(t);
    const st = await stat(abs).catch(() => null);
    if (!st) throw new ManifestError(`the path "${t}" does not exist`);
    if (st.isDirectory()) {
      const files = await listDir(abs, recursive);
      if (files.length === 0) {
        throw new ManifestError(`no .yaml, .yml or .json files in "${t}"${recursive ? '' : ' (use -R for subdirectories)'}`);
      }
      for (const f of files) out.push({ source: f, text: await readFile(f, 'utf8') });
    } else {
      out.push({ source: abs, text: await readFile(abs, 'utf8') });
    }
  }
  return out;
}

/** How to show a source to the user: relative to the working directory when that is shorter. */
export function displaySource(source: string): string {
  if (!path.isAbsolute(source)) return source;
  const rel = path.relative(process.cwd(), source);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : source;
}

/** Header value for x-weft-source: percent-encoded so any path survives HTTP header rules. */
export function sourceHeader(source: string): string {
  return encodeURI(source);
}

export interface SendResult {
  ok: boolean;
  /** The parsed JSON reply (ApplyResult or DeleteResult shape). */
  reply: unknown;
  /** Error lines, with the absolute source path shortened for display. */
  errors: string[];
}

/** POSTs one manifest to /debug/config/apply or /debug/config/delete. */
export async function sendManifest(ctx: CliContext, endpoint: string, m: Manifest): Promise<SendResult> {
  const res = await request(ctx.controlPlane, 'POST', endpoint, {
    body: m.text,
    headers: { [SOURCE_HEADER]: sourceHeader(m.source) },
  });
  const reply = parseJson(ctx.controlPlane, endpoint, res);
  const shown = displaySource(m.source);
  const shorten = (s: string): string => (shown === m.source ? s : s.split(m.source).join(shown));
  let errors = stringList(reply, 'errors');
  const single = (reply as { error?: unknown } | null)?.error;
  if (errors.length === 0 && res.status >= 400) {
    errors = [typeof single === 'string' ? single : `control plane answered ${res.status}`];
  }
  return { ok: res.status >= 200 && res.status < 300 && errors.length === 0, reply, errors: errors.map(shorten) };
}
