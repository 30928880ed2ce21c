// Control plane process entry: `node dist/src/control/main.js --config-dir DIR --state-dir DIR ...`
import { parseArgs } from 'node:util';
import path from 'node:path';
import { ControlPlane } from './control-plane.js';
import { CA_FLAGS, caSettings } from './ca/flags.js';
import { parseAdvertiseAddress } from './model/collector.js';

function hostPort(s: string, flag: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: expected HOST:PORT, got "${s}"`);
  return { host: s.slice(0, i), port };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'config-dir': { type: 'string', multiple: true, default: [] },
      'state-dir': { type: 'string', default: '.weft' },
      'xds-address': { type: 'string', default: '127.0.0.1:15010' },
      'http-address': { type: 'string', default: '127.0.0.1:15014' },
      // How proxies reach the HTTP port (spans go to POST /v1/traces there); needed when --http-address is 0.0.0.0/::.
      'advertise-http-address': { type: 'string' },
      'debounce-after-ms': { type: 'string', default: '100' },
      'debounce-max-ms': { type: 'string', default: '10000' },
      ...CA_FLAGS,
    },
  });
  const log = (msg: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
  };
  const cp = new ControlPlane({
    configDirs: (values['config-dir'] ?? []).map((d) => path.resolve(d)),
    stateDir: path.resolve(values['state-dir'] ?? '.weft'),
    xds: hostPort(values['xds-address'] ?? '', '--xds-address'),
    http: hostPort(values['http-address'] ?? '', '--http-address'),
    ...(values['advertise-http-address'] ? { advertiseHttp: parseAdvertiseAddress(values['advertise-http-address']) } : {}),
    debounce: { quietMs: Number(values['debounce-after-ms']), maxMs: Number(values['debounce-max-ms']) },
    log,
    ca: caSettings(values),
  });
  await cp.start();
  const secure = cp.secureXdsPort > 0 ? ` secure-xds=${values['secure-xds-address']?.replace(/:\d+$/, '')}:${cp.secureXdsPort}` : '';
  process.stdout.write(`weft-control-plane ready xds=${values['xds-address']?.replace(/:\d+$/, '')}:${cp.xdsPort} http=${values['http-address']?.replace(/:\d+$/, '')}:${cp.httpPort}${secure}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void cp.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`control plane failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
