// `weft restart WORKLOAD [-n NS] [--state-dir DIR]`: asks the running `weft up` (found through
// STATE/up.json) to replace every instance of one workload, one at a time, without failed requests.

import { request } from 'node:http';
import { resolve } from 'node:path';
import { flagValue, OUTPUT_FLAG, outputFormat, parseArgs } from './args.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './context.js';
import type { CliContext } from './context.js';
import { readUpState } from '../local/control-server.js';
import type { RestartResult } from '../local/lifecycle.js';

const FLAGS = [
  { key: 'namespace', names: ['-n', '--namespace'], value: true },
  { key: 'state-dir', names: ['--state-dir'], value: true },
  OUTPUT_FLAG,
];

function post(url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

export async function runRestart(args: readonly string[], ctx: CliContext): Promise<number> {
  const p = parseArgs(args, FLAGS, 'restart');
  const format = outputFormat(p, ['table', 'json'], 'restart');
  if (p.positionals.length !== 1) throw new UsageError('expected one WORKLOAD', 'restart');
  const workload = p.positionals[0] as string;
  const namespace = flagValue(p, 'namespace') ?? 'default';
  const stateDir = resolve(flagValue(p, 'state-dir') ?? process.env['WEFT_STATE_DIR'] ?? '.weft');
  const state = readUpState(stateDir);
  const q = new URLSearchParams({ workload, namespace });
  let r: { status: number; body: string };
  try {
    r = await post(`${state.control}/restart?${q.toString()}`);
  } catch (e) {
    ctx.err(`error: cannot reach weft up at ${state.control}: ${(e as Error).message}`);
    return EXIT_FAILURE;
  }
  const body = JSON.parse(r.body) as { results?: RestartResult[]; error?: string };
  if (r.status !== 200 || !body.results) {
    ctx.err(`error: ${body.error ?? `status ${r.status}`}`);
    return EXIT_FAILURE;
  }
  if (format === 'json') ctx.out(JSON.stringify(body.results, null, 2));
  else {
    for (const x of body.results) {
      ctx.out(`restarted ${x.instance} in ${(x.durationMs / 1000).toFixed(1)} s (pids ${x.oldPids.join(',')} -> ${x.newPids.join(',')})`);
    }
  }
  return EXIT_OK;
}
