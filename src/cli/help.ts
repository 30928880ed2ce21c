// Usage text for `weft help [VERB]`, `weft VERB --help` and usage errors.

import { kindAliasHelp } from './get-format.js';
import { DEFAULT_CONTROL_PLANE } from './context.js';

interface VerbHelp {
  summary: string;
  usage: string;
  details?: string;
}

export const VERBS: Readonly<Record<string, VerbHelp>> = {
  up: {
    summary: 'Run the mesh locally: control plane, workloads and their sidecars',
    usage: 'weft up DIR [flags]',
    details: 'Starts everything described by the YAML in DIR. Run "weft up --help" for its flags.',
  },
  apply: {
    summary: 'Create or update config from YAML',
    usage: 'weft apply -f FILE|DIR|- [-f ...] [-R]',
    details: [
      '  -f, --filename    a YAML file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)',
      '  -R, --recursive   also read subdirectories of a directory',
      '',
      'Each file is applied atomically: if any document in it has an error, none of it is applied.',
      'With several files, all are checked locally first and nothing is applied if any has an error.',
    ].join('\n'),
  },
  delete: {
    summary: 'Delete the config named in YAML',
    usage: 'weft delete -f FILE|DIR|- [-R] [--ignore-not-found]',
    details: [
      '  -f, --filename      as for apply',
      '  -R, --recursive     also read subdirectories of a directory',
      '  --ignore-not-found  do not fail when a resource does not exist',
    ].join('\n'),
  },
  get: {
    summary: 'List config held by the control plane',
    usage: 'weft get KIND|all [NAME] [-n NAMESPACE | -A] [-o table|json|yaml]',
    details: [
      '  -n, --namespace       namespace to list (default "default")',
      '  -A, --all-namespaces  list every namespace',
      '  -o, --output          table (default), json (stored form, with source file), or yaml',
      '                        (manifests that "weft apply -f -" accepts)',
      '',
      'Kinds and their aliases:',
      ...kindAliasHelp()
        .split('\n')
        .map((l) => `  ${l}`),
    ].join('\n'),
  },
  analyze: {
    summary: 'Check a directory of config offline; exit 1 on any error',
    usage: 'weft analyze DIR [-o json]',
  },
  'proxy-status': {
    summary: 'Show each connected proxy and whether it is in sync with the control plane',
    usage: 'weft proxy-status [-o json]',
    details: [
      'Alias: weft ps',
      '',
      'For each of CDS, LDS, EDS and RDS:',
      '  SYNCED    the proxy ACKed the latest version sent',
      '  STALE     a newer version was sent and not yet ACKed',
      '  NACK      the proxy rejected the latest version (the reason is printed below the table)',
      '  NOT SENT  nothing of this type has been sent',
    ].join('\n'),
  },
  'proxy-config': {
    summary: "Show a proxy's workload certificate and trust bundle (no keys)",
    usage: 'weft proxy-config secret PROXY [-o json]',
    details: [
      'PROXY is a name from "weft proxy-status" (NAME or NAME.NAMESPACE).',
      'Shows the certificate chain (SPIFFE ID, serial, validity) and the ROOTCA trust bundle.',
    ].join('\n'),
  },
  ca: {
    summary: "Show or rotate the control plane's built-in CA",
    usage: 'weft ca status [-o json] | weft ca rotate-root [--overlap 1h] [-o json]',
    details: [
      '  status       roots in the trust bundle, signing mode, certificate TTL',
      '  rotate-root  make a new root; the old root stays trusted for --overlap (default 1h),',
      '               proxies renew early onto the new root, then the old root is dropped',
    ].join('\n'),
  },
  'prometheus-config': {
    summary: 'Print a prometheus.yml that scrapes every proxy and the control plane',
    usage: 'weft prometheus-config [--scrape-interval 15s] [--refresh-interval 30s] [--job weft-mesh]',
    details: [
      '  --scrape-interval   how often Prometheus scrapes each target (default 15s)',
      '  --refresh-interval  how often it asks the control plane for targets (default 30s)',
      '  --job               the job name (default weft-mesh)',
      '',
      'Targets come from the control plane\'s HTTP service discovery, http://CONTROL_PLANE/debug/prometheus_sd:',
      'each connected proxy at <ip>:15090/stats/prometheus and the control plane at /metrics.',
    ].join('\n'),
  },
  restart: {
    summary: 'Rolling restart of a workload run by "weft up", one instance at a time',
    usage: 'weft restart WORKLOAD [-n NAMESPACE] [--state-dir DIR] [-o json]',
    details: [
      '  -n, --namespace  namespace of the Workload (default "default")',
      '  --state-dir      state directory of the running "weft up" (default ./.weft, or $WEFT_STATE_DIR)',
      '',
      'Each instance leaves the endpoints of every proxy first, its sidecar drains, then the app',
      'stops; the new sidecar and app are started and the instance is published again.',
    ].join('\n'),
  },
  version: { summary: 'Print the weft version', usage: 'weft version [-o json]' },
  help: { summary: 'Show help for weft or one command', usage: 'weft help [COMMAND]' },
};

const GLOBAL_FLAGS = [
  'Global flags:',
  `  --control-plane HOST:PORT  control plane debug address (default ${DEFAULT_CONTROL_PLANE},`,
  '                             or $WEFT_CONTROL_PLANE)',
  '  -h, --help                 show help',
].join('\n');

export function verbHelp(verb: string): string | undefined {
  const h = VERBS[verb];
  if (!h) return undefined;
  return [`${h.summary}.`, '', `Usage: ${h.usage}`, ...(h.details ? ['', h.details] : []), '', GLOBAL_FLAGS].join('\n');
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  const lines = Object.entries(VERBS).map(([v, h]) => `  ${v.padEnd(width)}  ${h.summary}`);
  return [
    'weft: a service mesh with Istio\'s config API.',
    '',
    'Usage: weft COMMAND [args] [flags]',
    '',
    'Commands:',
    ...lines,
    '',
    ...Object.values(VERBS).map((h) => `  ${h.usage}`),
    '',
    GLOBAL_FLAGS,
    '',
    'Run "weft help COMMAND" for more about a command.',
  ].join('\n');
}
