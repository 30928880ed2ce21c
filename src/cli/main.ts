// The `weft` command: global flags, verb dispatch and error reporting. Each verb lives in its own
// module and is loaded only when used, so a verb's dependencies cannot break the others.

import { ControlPlaneError, parseControlPlane } from './http.js';
import { DEFAULT_CONTROL_PLANE, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './context.js';
import type { CliContext, ControlPlaneAddress } from './context.js';
import { mainHelp, verbHelp } from './help.js';

/** Short spellings, as istioctl has `ps`. */
const VERB_ALIASES: Readonly<Record<string, string>> = { ps: 'proxy-status' };

type VerbRunner = (args: readonly string[], ctx: CliContext) => Promise<number>;

const VERB_MODULES: Readonly<Record<string, () => Promise<VerbRunner>>> = {
  apply: async () => (await import('./apply.js')).runApply,
  delete: async () => (await import('./delete.js')).runDelete,
  get: async () => (await import('./get.js')).runGet,
  analyze: async () => (await import('./analyze.js')).runAnalyze,
  'proxy-status': async () => (await import('./proxy-status.js')).runProxyStatus,
  'proxy-config': async () => (await import('./proxy-config.js')).runProxyConfig,
  ca: async () => (await import('./ca.js')).runCa,
  'prometheus-config': async () => (await import('./prometheus-config.js')).runPrometheusConfig,
  restart: async () => (await import('./restart.js')).runRestart,
  version: async () => (await import('./version.js')).runVersion,
};

export interface Io {
  out(text: string): void;
  err(text: string): void;
  stdin: CliContext['stdin'];
  env: Record<string, string | undefined>;
}

const processIo: Io = {
  out: (t) => void process.stdout.write(`${t}\n`),
  err: (t) => void process.stderr.write(`${t}\n`),
  stdin: process.stdin,
  env: process.env,
};

/** Removes --control-plane[=]VALUE from anywhere before "--". */
function takeGlobalFlags(argv: readonly string[]): { rest: string[]; controlPlane?: string } {
  const rest: string[] = [];
  let controlPlane: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--control-plane') {
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError('flag --control-plane needs HOST:PORT');
      controlPlane = v;
      i++;
    } else if (a.startsWith('--control-plane=')) {
      controlPlane = a.slice('--control-plane='.length);
    } else {
      rest.push(a);
    }
  }
  return controlPlane === undefined ? { rest } : { rest, controlPlane };
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '-h' || a === '--help');
}

/** Runs one command line and returns the exit code; never throws. */
export async function run(argv: readonly string[], io: Io = processIo): Promise<number> {
  let verb: string | undefined;
  try {
    const { rest, controlPlane } = takeGlobalFlags(argv);
    verb = rest[0];
    if (verb !== undefined) verb = VERB_ALIASES[verb] ?? verb;
    const args = rest.slice(1);
    if (verb === undefined || verb === '-h' || verb === '--help') {
      io.out(mainHelp());
      return EXIT_OK;
    }
    if (verb === '--version') verb = 'version';
    if (verb === 'help') {
      const topic = args[0] === undefined ? undefined : (VERB_ALIASES[args[0]] ?? args[0]);
      const text = topic === undefined ? mainHelp() : verbHelp(topic);
      if (text === undefined) throw new UsageError(`unknown command "${topic ?? ''}"`);
      io.out(text);
      return EXIT_OK;
    }
    if (verb === 'up') {
      // `up` owns its flags (including its own --help).
      const { runUp } = await import('./up.js');
      return await runUp(args);
    }
    const load = VERB_MODULES[verb];
    if (!load) throw new UsageError(`unknown command "${verb}"`);
    if (wantsHelp(args)) {
      io.out(verbHelp(verb) ?? mainHelp());
      return EXIT_OK;
    }
    // Parsed on first use, so a bad address only fails verbs that talk to the control plane.
    let address: ControlPlaneAddress | undefined;
    const ctx: CliContext = {
      get controlPlane() {
        address ??= parseControlPlane(controlPlane ?? io.env['WEFT_CONTROL_PLANE'] ?? DEFAULT_CONTROL_PLANE);
        return address;
      },
      out: io.out,
      err: io.err,
      stdin: io.stdin,
    };
    return await (await load())(args, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      const topic = err.verb ?? (verb !== undefined && VERB_MODULES[verb] ? verb : undefined);
      io.err(`error: ${err.message}`);
      io.err(topic ? `Run "weft help ${topic}" for usage.` : 'Run "weft help" for usage.');
      return EXIT_USAGE;
    }
    if (err instanceof ControlPlaneError) {
      io.err(`error: ${err.message}`);
      return EXIT_FAILURE;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (io.env['WEFT_DEBUG'] && err instanceof Error && err.stack) io.err(err.stack);
    return EXIT_FAILURE;
  }
}

/** Entry point used by bin/weft.js. */
export async function main(argv: string[]): Promise<void> {
  // `weft get vs | head` closes stdout early; that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.exitCode = await run(argv);
}
