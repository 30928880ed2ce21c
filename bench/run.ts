// `npm run bench`: the same load against the upstream directly, one and two nginx hops, and one and
// two Weft proxies, measured in one run; then a Weft sidecar's idle RSS and the config propagation
// delay with 50 sidecars connected. Prints a markdown report and appends it to
// docs/performance.md.
//
// Then HTTP/2 (h2load) and TCP throughput, direct and through two Weft sidecars (bench/proto-targets.ts).
//
// Flags: --quick (short runs, 10 proxies), --only=direct,nginx1,nginx2,weft1,weft2,h2,tcp,mtls,telemetry,
// --h2-duration=S --tcp-mib=N (per connection),
// --rate=N --connections=N --warmup=S --duration=S --wrk-duration=S --wrk-threads=N,
// --proxies=N --changes=N --skip-propagation, --no-write, --addr-prefix=127.N (default 127.0).

import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFixedRate } from './loadgen.js';
import { machineBusyPercent, machineInfo } from './machine.js';
import { BODY_SIZE, startNginx } from './nginx.js';
import type { Listen } from './nginx.js';
import { freePorts, sleep } from './probe.js';
import { benchTempDir, cleanupAll } from './procs.js';
import { runPropagation } from './propagation.js';
import { runProtoScenarios } from './proto-targets.js';
import type { ProtoSettings } from './proto-targets.js';
import { appendToDoc, renderMarkdown, TARGET_LABELS } from './report.js';
import type { BenchReport, BenchSettings, TargetId, TargetResult } from './report.js';
import { commandOutput, ensureTools } from './tools.js';
import { startWeftTargets } from './weft-targets.js';
import type { WeftTargets } from './weft-targets.js';
import { runWrk } from './wrk.js';

const HTTP1_TARGETS: TargetId[] = ['direct', 'nginx1', 'nginx2', 'weft1', 'weft2'];
/** HTTP/2 and TCP scenarios, each measured direct and through two sidecars. */
const PROTO_SCENARIOS = ['h2', 'tcp'] as const;
type ProtoScenario = (typeof PROTO_SCENARIOS)[number];
/**
 * Scenarios run as their own script, each printing a markdown table that starts with `marker`:
 * mTLS (handshakes per second on one proxy; two sidecars with mTLS on vs off) and telemetry cost
 * (two sidecars: no telemetry, metrics, metrics + tracing 1 % / 100 %, proxy CPU per request).
 */
const SCRIPT_SCENARIOS = {
  mtls: { script: 'mtls.js', marker: '| mTLS benchmark', what: 'mTLS: new handshakes per second on one proxy; two sidecars with mTLS on vs off' },
  telemetry: { script: 'telemetry.js', marker: '| Telemetry benchmark', what: 'telemetry cost: two sidecars, metrics off/on and tracing 1 %/100 %: max rps, latency at a fixed rate, proxy CPU per request' },
} as const;
type ScriptScenario = keyof typeof SCRIPT_SCENARIOS;
const ALL_TARGETS: string[] = [...HTTP1_TARGETS, ...PROTO_SCENARIOS, ...Object.keys(SCRIPT_SCENARIOS)];

/**
 * Loopback addresses: with prefix "127.0", the upstream is 127.0.2.1:8081, the nginx hops
 * 127.0.2.2:8082 and 127.0.2.3:8083, the client sidecar 127.0.3.1 and the propagation test's
 * sidecars 127.0.4.1-N; the HTTP/2 and TCP scenarios' server instance 127.0.5.1 and client
 * sidecar 127.0.5.2. --addr-prefix=127.N moves them all, e.g. next to another running mesh.
 */
function addresses(prefix: string): {
  upstream: Listen;
  hop: Listen;
  firstOfTwo: Listen;
  client: string;
  propagation: string;
  protoServer: string;
  protoClient: string;
} {
  return {
    protoServer: `${prefix}.5.1`,
    protoClient: `${prefix}.5.2`,
    upstream: { host: `${prefix}.2.1`, port: 8081 },
    hop: { host: `${prefix}.2.2`, port: 8082 },
    firstOfTwo: { host: `${prefix}.2.3`, port: 8083 },
    client: `${prefix}.3.1`,
    propagation: `${prefix}.4`,
  };
}

export interface Endpoint extends Listen {
  hostHeader?: string;
}

interface Options {
  settings: BenchSettings;
  addrPrefix: string;
  only: TargetId[];
  proto: ProtoScenario[];
  protoSettings: ProtoSettings;
  proxies: number;
  changes: number;
  propagation: boolean;
  write: boolean;
  /** Script scenarios to run (bench/mtls.ts, bench/telemetry.ts); their tables are appended. */
  scripts: ScriptScenario[];
  scriptDurationS: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      rate: { type: 'string' },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      'wrk-duration': { type: 'string' },
      'wrk-threads': { type: 'string' },
      'h2-duration': { type: 'string' },
      'tcp-mib': { type: 'string' },
      proxies: { type: 'string' },
      changes: { type: 'string' },
      'skip-propagation': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'addr-prefix': { type: 'string', default: '127.0' },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const num = (v: string | undefined, dflt: number, name: string): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got "${v}"`);
    return n;
  };
  const only = values.only === undefined ? ALL_TARGETS : values.only.split(',').map((s) => s.trim());
  for (const t of only) if (!ALL_TARGETS.includes(t)) throw new Error(`--only: unknown target "${t}" (${ALL_TARGETS.join(', ')})`);
  const addrPrefix = values['addr-prefix'] ?? '127.0';
  if (!/^127\.\d{1,3}$/.test(addrPrefix) || Number(addrPrefix.slice(4)) > 255) {
    throw new Error(`--addr-prefix must look like 127.N (a loopback /16), got "${addrPrefix}"`);
  }
  return {
    addrPrefix,
    settings: {
      rate: num(values.rate, 1000, 'rate'),
      connections: Math.round(num(values.connections, 16, 'connections')),
      warmupS: num(values.warmup, quick ? 1 : 2, 'warmup'),
      durationS: Math.min(120, num(values.duration, quick ? 3 : 10, 'duration')),
      wrkDurationS: Math.min(120, num(values['wrk-duration'], quick ? 3 : 10, 'wrk-duration')),
      wrkThreads: Math.round(num(values['wrk-threads'], 2, 'wrk-threads')),
    },
    only: only.filter((t): t is TargetId => (HTTP1_TARGETS as string[]).includes(t)),
    proto: only.filter((t): t is ProtoScenario => (PROTO_SCENARIOS as readonly string[]).includes(t)),
    protoSettings: {
      h2Clients: 16,
      h2Streams: 10,
      h2Threads: 2,
      h2WarmupS: quick ? 1 : 2,
      h2DurationS: Math.min(120, num(values['h2-duration'], quick ? 3 : 10, 'h2-duration')),
      tcpConnections: 16,
      tcpBytesPerConnection: Math.round(num(values['tcp-mib'], quick ? 16 : 64, 'tcp-mib') * 2 ** 20),
      tcpTimeLimitS: quick ? 10 : 30,
    },
    proxies: Math.min(200, Math.round(num(values.proxies, quick ? 10 : 50, 'proxies'))),
    changes: Math.min(10, Math.round(num(values.changes, 3, 'changes'))),
    propagation: values['skip-propagation'] !== true,
    scripts: only.filter((t): t is ScriptScenario => Object.hasOwn(SCRIPT_SCENARIOS, t)),
    scriptDurationS: quick ? 3 : 8,
    write: values['no-write'] !== true,
  };
}

const log = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function measure(
  t: TargetResult,
  ep: Endpoint,
  s: BenchSettings,
  wrk: string | undefined,
  scratchDir: string,
): Promise<void> {
  log(`- ${TARGET_LABELS[t.id]} (${ep.host}:${ep.port}${ep.hostHeader ? `, Host: ${ep.hostHeader}` : ''})`);
  try {
    const f = await runFixedRate({
      host: ep.host,
      port: ep.port,
      hostHeader: ep.hostHeader,
      rate: s.rate,
      connections: s.connections,
      warmupMs: s.warmupS * 1000,
      durationMs: s.durationS * 1000,
      expectBodyBytes: BODY_SIZE,
    });
    t.fixed = f;
    log(
      `    fixed ${s.rate} rps: p50 ${f.latency.p50.toFixed(3)} p90 ${f.latency.p90.toFixed(3)} p99 ${f.latency.p99.toFixed(3)} ms, ` +
        `achieved ${f.achievedRps.toFixed(0)} rps, errors ${f.errors}, incomplete ${f.incomplete}, ` +
        `send lag p99 ${f.sendLag.p99.toFixed(3)} ms, generator CPU ${f.generatorCpuPercent.toFixed(1)}%`,
    );
    if (f.firstError !== undefined) log(`    first error: ${f.firstError}`);
  } catch (err) {
    t.fixedError = errorText(err);
    log(`    fixed-rate run failed: ${t.fixedError}`);
  }
  await sleep(500);
  if (wrk === undefined) {
    t.maxError = 'wrk not installed';
    return;
  }
  try {
    const w = await runWrk({
      wrk,
      host: ep.host,
      port: ep.port,
      hostHeader: ep.hostHeader,
      connections: s.connections,
      threads: s.wrkThreads,
      durationS: s.wrkDurationS,
      scratchDir,
    });
    t.max = w;
    log(`    max (wrk): ${w.rps.toFixed(0)} rps, errors ${w.errors}`);
  } catch (err) {
    t.maxError = errorText(err);
    log(`    wrk failed: ${t.maxError}`);
  }
  await sleep(500);
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const s = opts.settings;
  log('weft bench: checking tools');
  const tools = ensureTools(log);
  const machine = machineInfo(tools.nginxVersion, tools.wrk);
  const busy = await machineBusyPercent(1000);
  if (busy !== undefined) machine.busyBeforePercent = busy;
  log(`  ${machine.nproc} cores, ${machine.cpuModel}, Node ${machine.node}, nginx ${machine.nginx}, wrk ${machine.wrk}`);
  log(`  before the run: load average ${machine.loadAverage1m.toFixed(2)}, CPU busy ${busy?.toFixed(0) ?? '?'}% (other processes)`);
  if (busy !== undefined && busy > 20) log('  warning: the machine is busy with other work; tail latencies will be wider than on an idle machine');
  const base = benchTempDir();
  const report: BenchReport = { machine, settings: s, targets: opts.only.map((id) => ({ id })) };
  const result = (id: TargetId): TargetResult | undefined => report.targets.find((t) => t.id === id);
  const endpoints = new Map<TargetId, Endpoint>();
  const addr = addresses(opts.addrPrefix);
  const UPSTREAM = addr.upstream;

  log('starting nginx targets');
  await startNginx(tools.nginx, base, 'upstream', UPSTREAM, { kind: 'upstream' });
  endpoints.set('direct', UPSTREAM);
  const wantNginx = opts.only.includes('nginx1') || opts.only.includes('nginx2');
  if (wantNginx) {
    try {
      await startNginx(tools.nginx, base, 'hop', addr.hop, { kind: 'proxy', upstream: UPSTREAM });
      endpoints.set('nginx1', addr.hop);
      await startNginx(tools.nginx, base, 'first-of-two', addr.firstOfTwo, { kind: 'proxy', upstream: addr.hop });
      endpoints.set('nginx2', addr.firstOfTwo);
    } catch (err) {
      for (const id of ['nginx1', 'nginx2'] as const) {
        const t = result(id);
        if (t !== undefined && !endpoints.has(id)) t.error = `nginx proxy did not start: ${errorText(err)}`;
      }
    }
  }

  let weft: WeftTargets | undefined;
  if (opts.only.includes('weft1') || opts.only.includes('weft2')) {
    log(`starting Weft targets (control plane, client sidecar ${addr.client}, server sidecar ${UPSTREAM.host})`);
    const [xdsPort = 0, httpPort = 0] = await freePorts(2);
    weft = await startWeftTargets({
      repoRoot,
      baseDir: base,
      upstream: UPSTREAM,
      clientIp: addr.client,
      xdsPort,
      httpPort,
      log,
    });
    for (const id of ['weft1', 'weft2'] as const) {
      const t = result(id);
      if (t === undefined) continue;
      const ep = weft.endpoints[id];
      if ('error' in ep) {
        t.error = ep.error;
        log(`  ${TARGET_LABELS[id]}: not measured: ${ep.error}`);
      } else endpoints.set(id, ep);
    }
    if (weft.rssKiB !== undefined) report.weftRssKiB = weft.rssKiB;
    if (weft.rssError !== undefined) report.weftRssError = weft.rssError;
  } else report.weftRssError = 'Weft targets not selected';

  if (report.targets.length > 0) log(`load: ${s.rate} rps fixed over ${s.connections} connections (${s.warmupS} s warm-up + ${s.durationS} s), then wrk ${s.wrkDurationS} s`);
  for (const t of report.targets) {
    const ep = endpoints.get(t.id);
    if (ep === undefined) {
      t.error ??= 'not started';
      continue;
    }
    await measure(t, ep, s, tools.wrk, base);
  }
  if (weft !== undefined) await weft.stop();

  if (opts.proto.length > 0) {
    log(`HTTP/2 and TCP scenarios (${opts.proto.join(', ')}): server instance ${addr.protoServer}, client sidecar ${addr.protoClient}`);
    try {
      const [xdsPort = 0, httpPort = 0] = await freePorts(2);
      report.proto = await runProtoScenarios({
        repoRoot,
        baseDir: base,
        serverIp: addr.protoServer,
        clientIp: addr.protoClient,
        xdsPort,
        httpPort,
        h2load: tools.h2load,
        h2: opts.proto.includes('h2'),
        tcp: opts.proto.includes('tcp'),
        settings: opts.protoSettings,
        log,
      });
      if (tools.h2load !== undefined) report.proto.h2loadVersion = commandOutput(tools.h2load, ['--version']).replace(/^h2load\s*/, '');
    } catch (err) {
      report.protoError = errorText(err);
      log(`  HTTP/2 and TCP scenarios failed: ${report.protoError}`);
    }
  }

  if (opts.propagation) {
    log(`config propagation with ${opts.proxies} sidecars`);
    try {
      const [xdsPort = 0, httpPort = 0] = await freePorts(2);
      report.propagation = await runPropagation({
        repoRoot,
        baseDir: base,
        proxies: opts.proxies,
        changes: opts.changes,
        xdsPort,
        httpPort,
        upstream: UPSTREAM,
        ipPrefix: addr.propagation,
        log,
      });
    } catch (err) {
      report.propagationError = errorText(err);
      log(`  propagation test failed: ${report.propagationError}`);
    }
  } else report.propagationError = 'skipped (--skip-propagation)';

  let scriptsMd = '';
  for (const id of opts.scripts) {
    const sc = SCRIPT_SCENARIOS[id];
    log(`${sc.what} (bench/${sc.script.replace(/\.js$/, '.ts')})`);
    let table: string;
    try {
      const out = execFileSync(process.execPath, [join(repoRoot, 'dist', 'bench', sc.script), `--duration=${opts.scriptDurationS}`], {
        encoding: 'utf8',
        timeout: 600_000,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const at = out.indexOf(sc.marker);
      table = at >= 0 ? out.slice(at) : `${id} benchmark printed no table:\n${out.slice(-2000)}`;
    } catch (err) {
      table = `${id} benchmark failed: ${errorText(err)}`;
    }
    log(table);
    scriptsMd += `\n${table}\n`;
  }

  const md = renderMarkdown(report) + scriptsMd;
  log('');
  log(md);
  if (opts.write) {
    const doc = join(repoRoot, 'docs', 'performance.md');
    appendToDoc(doc, md);
    log(`appended to ${doc}`);
  }
  return 0;
}

main()
  .then(async (code) => {
    await cleanupAll();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await cleanupAll();
    process.exit(1);
  });
