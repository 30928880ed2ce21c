// `weft proxy-config secret PROXY [-o json]`: a proxy's workload certificate chain (SPIFFE ID,
// serial, validity) and the trust bundle roots it holds, read from the proxy's admin /certs
// (istioctl proxy-config secret). Never keys. The proxy is found like `weft proxy-status` lists it.

import http from 'node:http';
import type { ProxySync } from '../control/debug/backend.js';
import type { CertManagerStatus } from '../proxy/security/cert-manager.js';
import type { CertSummary } from '../security/x509.js';
import { OUTPUT_FLAG, outputFormat, parseArgs } from './args.js';
import { EXIT_OK, UsageError } from './context.js';
import type { CliContext } from './context.js';
import { ControlPlaneError, getJson } from './http.js';
import { formatTable } from './table.js';

const VERB = 'proxy-config';

/** Finds a connected proxy by id, name, or name.namespace. */
export async function findProxy(ctx: CliContext, wanted: string): Promise<ProxySync> {
  const reply = await getJson(ctx.controlPlane, '/debug/syncz');
  if (!Array.isArray(reply)) throw new ControlPlaneError('control plane reply to /debug/syncz is not a list');
  const proxies = (reply as ProxySync[]).filter((x) => typeof x === 'object' && x !== null && typeof x.id === 'string');
  const match = proxies.filter((p) => p.id === wanted || p.name === wanted || `${p.name}.${p.namespace}` === wanted);
  if (match.length === 0) {
    const names = proxies.map((p) => `${p.name}.${p.namespace}`).sort();
    throw new ControlPlaneError(`no connected proxy "${wanted}"${names.length ? `; connected: ${names.join(', ')}` : ''}`);
  }
  if (match.length > 1) throw new ControlPlaneError(`"${wanted}" names ${match.length} proxies; use NAME.NAMESPACE`);
  return match[0] as ProxySync;
}

function getAdmin(address: string, path: string): Promise<unknown> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) !== 200) return reject(new ControlPlaneError(`proxy admin ${address}${path} answered ${res.statusCode ?? 0}: ${body.trim()}`));
        try {
          resolve(JSON.parse(body) as unknown);
        } catch {
          reject(new ControlPlaneError(`proxy admin ${address}${path} did not answer JSON`));
        }
      });
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', (e) => reject(new ControlPlaneError(`cannot reach the proxy admin at ${address}: ${e.message}`)));
    req.end();
  });
}

function validNow(c: CertSummary, now: number): string {
  return String(new Date(c.notBefore).getTime() <= now && now < new Date(c.notAfter).getTime());
}

export async function runProxyConfig(args: readonly string[], ctx: CliContext): Promise<number> {
  const p = parseArgs(args, [OUTPUT_FLAG], VERB);
  const format = outputFormat(p, ['table', 'json'], VERB);
  const [what, name, ...rest] = p.positionals;
  if (what !== 'secret') throw new UsageError(what === undefined ? 'missing what to show (secret)' : `unknown proxy-config type "${what}"; supported: secret`, VERB);
  if (name === undefined) throw new UsageError('missing PROXY (a name from "weft proxy-status")', VERB);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, VERB);
  const proxy = await findProxy(ctx, name);
  if (!proxy.adminAddress) throw new ControlPlaneError(`proxy ${proxy.name}.${proxy.namespace} did not report an admin address`);
  const reply = (await getAdmin(proxy.adminAddress, '/certs')) as { identity?: CertManagerStatus | null };
  const id = reply.identity ?? null;
  if (format === 'json') {
    ctx.out(JSON.stringify({ proxy: `${proxy.name}.${proxy.namespace}`, identity: id }, null, 2));
    return EXIT_OK;
  }
  if (!id) {
    ctx.err(`Proxy ${proxy.name}.${proxy.namespace} has no workload identity (started without --ca-address / token).`);
    return EXIT_OK;
  }
  const now = Date.now();
  const rows: string[][] = [];
  id.chain.forEach((c, i) => {
    rows.push(['default', i === 0 ? 'Cert Chain' : `Intermediate ${i}`, i === 0 ? (id.spiffeId ?? '-') : c.subject, c.serial, c.notBefore, c.notAfter, validNow(c, now)]);
  });
  for (const c of id.trustBundle) rows.push(['ROOTCA', 'CA', c.subject, c.serial, c.notBefore, c.notAfter, validNow(c, now)]);
  ctx.out(formatTable(['RESOURCE NAME', 'TYPE', 'IDENTITY / SUBJECT', 'SERIAL NUMBER', 'NOT BEFORE', 'NOT AFTER', 'VALID'], rows));
  const notes: string[] = [];
  if (id.renewAt) notes.push(`next renewal: ${id.renewAt}`);
  if (id.lastError) notes.push(`last error: ${id.lastError}`);
  if (notes.length) ctx.out(`\n${notes.join('\n')}`);
  return EXIT_OK;
}
