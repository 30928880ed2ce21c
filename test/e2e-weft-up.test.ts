// End to end, the way a new user runs it: `weft up examples/shop`, then an order entered through
// the gateway shows up in shipping and invoicing, every page is served, and Ctrl-C leaves no
// process behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './harness/repo.js';
import { request } from './harness/http.js';
import { openWs } from './harness/ws-client.js';
import { tempDir, waitFor } from './harness/processes.js';
import { isProcessAlive } from '../src/local/process-group.js';
import crypto from 'node:crypto';

const GW = 'http://127.0.19.1:18080';

/** Every descendant of `root` (children, grandchildren, ...) from /proc. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const [c, p] of parent) {
      if (p === pid) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(root);
  return out;
}

describe('weft up examples/shop', { timeout: 240_000 }, () => {
  let child: ChildProcess;
  let output = '';
  const stateDir = tempDir('up-state');

  before(async () => {
    child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin/weft.js'), 'up', path.join(REPO_ROOT, 'examples/shop'),
        '--gateway-port', '18080', '--gateway-ip', '127.0.19.1', '--xds-port', '25510', '--http-port', '25514',
        '--subnet', '127.0.20', '--state-dir', stateDir,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor('mesh is ready', () => {
      if (child.exitCode !== null) throw new Error(`weft up exited ${child.exitCode}:\n${output}`);
      return output.includes('mesh is ready');
    }, 120_000);
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints what runs where', () => {
    for (const name of ['order-0', 'order-1', 'shipping-v1-0', 'shipping-v2-0', 'invoicing-0', 'pricing-0', 'pricing-1', 'home-0', 'istio-ingressgateway']) {
      assert.ok(output.includes(name), `${name} in the summary:\n${output}`);
    }
    assert.match(output, /127\.0\.20\.\d+/);
  });

  it('serves every page through the gateway', async () => {
    for (const p of ['/', '/order/', '/shipping/', '/invoicing/']) {
      const r = await request(`${GW}${p}`);
      assert.equal(r.status, 200, `${p}: ${r.body.slice(0, 200)}`);
      assert.match(r.headers['content-type'] ?? '', /text\/html/, p);
    }
  });

  it('an order entered through the gateway appears in shipping and invoicing', async () => {
    const customer = `e2e-${Date.now()}`;
    const created = await request(`${GW}/order/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer, item: 'teapot', quantity: 2 }),
    });
    assert.equal(created.status, 201, created.body);
    const orderId = (JSON.parse(created.body) as { id: number }).id;
    const has = async (url: string): Promise<boolean> => {
      const r = await request(url);
      return r.status === 200 && r.body.includes(customer);
    };
    await waitFor('shipment created', () => has(`${GW}/shipping/api/shipments`), 20_000);
    await waitFor('invoice created', () => has(`${GW}/invoicing/api/invoices`), 20_000);
    // The amount was quoted by a pricing instance over gRPC, through both sidecars.
    const invoices = JSON.parse((await request(`${GW}/invoicing/api/invoices`)).body) as { customer: string; amountCents: number; quotedBy: string }[];
    const mine = invoices.find((i) => i.customer === customer);
    assert.equal(mine?.amountCents, 4900, JSON.stringify(mine));
    assert.match(mine?.quotedBy ?? '', /^pricing-[01]$/);
    // Every shipping instance (v1 and v2) polls the feed, so soon every read, whichever
    // instance serves it, sees the shipment.
    await waitFor('every shipping instance has the shipment', async () => {
      for (let i = 0; i < 10; i++) if (!(await has(`${GW}/shipping/api/shipments`))) return false;
      return true;
    }, 20_000);
    const page = await request(`${GW}/order/`);
    assert.ok(page.body.includes(customer), `order ${orderId} listed on the order page`);
    // The live feed: a WebSocket through the gateway and the order sidecar (Upgrade passes through).
    const ws = await openWs('127.0.19.1', 18080, `/order/live?after=${orderId - 1}`);
    const live = JSON.parse(await ws.next()) as { id: number; customer: string; pushedBy: string };
    assert.equal(live.id, orderId);
    assert.equal(live.customer, customer);
    assert.match(live.pushedBy, /^order-[01]$/);
    ws.close();
  });

  it('one order through the gateway is one trace: gateway → order → pricing (gRPC) and → shipping, in the control plane', async () => {
    // The caller's sampled flag is honored at the default 1%; the control plane is the default collector.
    const traceId = crypto.randomBytes(16).toString('hex');
    const callerSpan = crypto.randomBytes(8).toString('hex');
    const created = await request(`${GW}/order/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ customer: `trace-${Date.now()}`, item: 'teapot', quantity: 1 }),
    });
    assert.equal(created.status, 201, created.body);
    const quoted = JSON.parse(created.body) as { price?: { quotedBy: string }; shipping?: { quotedBy: string } };
    assert.ok(quoted.price && quoted.shipping, `both quotes in the answer: ${created.body}`);
    type Span = { spanId: string; parentSpanId?: string; kind: string; name: string; service: string; attributes: Record<string, string> };
    let spans: Span[] = [];
    await waitFor('six spans of the order trace at the control plane', async () => {
      const r = await request(`http://127.0.19.1:25514/debug/traces/${traceId}`);
      if (r.status !== 200) return false;
      spans = (JSON.parse(r.body) as { spans: Span[] }).spans;
      return spans.length >= 6;
    }, 30_000);
    const dump = JSON.stringify(spans, null, 1);
    assert.equal(spans.length, 6, dump);
    const one = (what: string, pred: (s: Span) => boolean): Span => {
      const got = spans.filter(pred);
      assert.equal(got.length, 1, `${what}:\n${dump}`);
      return got[0]!;
    };
    const gw = one('gateway CLIENT, child of the caller', (s) => s.kind === 'CLIENT' && s.parentSpanId === callerSpan);
    const order = one('order SERVER under the gateway', (s) => s.kind === 'SERVER' && s.parentSpanId === gw.spanId && s.service.startsWith('order'));
    const toPricing = one('order CLIENT to pricing', (s) => s.kind === 'CLIENT' && s.parentSpanId === order.spanId && s.name.startsWith('pricing.default.svc.cluster.local'));
    const toShipping = one('order CLIENT to shipping', (s) => s.kind === 'CLIENT' && s.parentSpanId === order.spanId && s.name.startsWith('shipping.default.svc.cluster.local'));
    assert.equal(toPricing.attributes['http.protocol'], 'HTTP/2', 'gRPC over HTTP/2');
    one('pricing SERVER under order', (s) => s.kind === 'SERVER' && s.parentSpanId === toPricing.spanId && s.service.startsWith('pricing'));
    one('shipping SERVER under order', (s) => s.kind === 'SERVER' && s.parentSpanId === toShipping.spanId && s.service.startsWith('shipping'));
  });

  it('Ctrl-C stops everything and leaves no process behind', async () => {
    const pids = descendants(child.pid!);
    assert.ok(pids.length >= 18, `expected the control plane, proxies and apps as descendants, got ${pids.length}`);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 0, output.slice(-3000));
    assert.match(output, /stopped/);
    await waitFor('all descendants gone', () => pids.every((p) => !isProcessAlive(p)), 10_000);
    assert.equal(fs.existsSync(path.join(stateDir, 'registry', 'instances.yaml')), false, 'registry removed');
  });
});
