// The Grafana dashboards in dashboards/ use only metrics Weft emits: every PromQL expression
// (panel targets and template variables) names at least one metric, every metric name is one a
// proxy or the control plane registers (histograms with their _bucket/_sum/_count series), and
// every label it matches on or groups by is one of that metric's labels or a scrape target label
// set by the control plane's service discovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../testing/repo-root.js';
import { Proxy } from '../proxy/proxy.js';
import { ControlMetrics } from '../control/metrics.js';
import type { Registry } from './registry.js';

/** Labels Prometheus adds from the target (prometheus-sd.ts) and itself. */
const TARGET_LABELS = ['namespace', 'pod', 'workload', 'proxy_type', 'app', 'version', 'instance', 'job'];
const METRIC = /\b((?:istio|envoy|process|nodejs|pilot|weft)_[a-zA-Z0-9_:]*)\s*(\{[^}]*\})?/g;
const MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g;
const GROUPING = /\b(?:by|without)\s*\(([^)]*)\)/g;

interface Expr {
  where: string;
  expr: string;
  /** label_values(..., label): the label asked for. */
  label?: string;
}

function emittedSeries(registries: Registry[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of registries) {
    for (const m of r.metrics()) {
      const labels = new Set(m.labelNames);
      if (m.type === 'histogram') {
        out.set(`${m.name}_bucket`, new Set([...labels, 'le']));
        out.set(`${m.name}_sum`, labels);
        out.set(`${m.name}_count`, labels);
      } else {
        out.set(m.name, labels);
      }
    }
  }
  return out;
}

function expressions(file: string, dash: Record<string, unknown>): Expr[] {
  const out: Expr[] = [];
  const visit = (panels: unknown[]): void => {
    for (const p of panels as { title?: string; targets?: { expr?: string }[]; panels?: unknown[] }[]) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${file}: panel "${p.title ?? '?'}"`, expr: t.expr });
      if (p.panels) visit(p.panels);
    }
  };
  visit((dash['panels'] as unknown[]) ?? []);
  const vars = ((dash['templating'] as { list?: { name: string; type: string; query?: { query?: string } | string }[] }).list ?? []).filter((v) => v.type === 'query');
  for (const v of vars) {
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const m = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(q);
    assert.ok(m, `${file}: variable ${v.name}: expected label_values(selector, label), got ${q}`);
    out.push({ where: `${file}: variable ${v.name}`, expr: m[1] as string, label: m[2] as string });
  }
  return out;
}

test('dashboards refer only to metrics and labels Weft emits', async () => {
  const proxy = new Proxy({
    xdsAddress: '127.0.0.1:1',
    metadata: { type: 'sidecar', NAME: 'x', NAMESPACE: 'default', WORKLOAD_NAME: 'x', LABELS: {}, SERVICE_ACCOUNT: 'x', INSTANCE_IP: '127.0.0.1', ADMIN_ADDRESS: '', CLUSTER_ID: 'c' },
    adminPort: 0,
    statsPort: 0,
    log: () => undefined,
  });
  const control = new ControlMetrics(() => 0, () => 0);
  try {
    const series = emittedSeries([proxy.registry, control.registry]);
    const dir = path.join(repoRoot(), 'dashboards');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, ['weft-mesh.json', 'weft-service.json', 'weft-workload.json']);
    let checked = 0;
    const used = new Set<string>();
    for (const file of files) {
      const dash = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
      assert.equal(typeof dash['uid'], 'string', `${file}: uid`);
      for (const e of expressions(file, dash)) {
        const metrics = [...e.expr.matchAll(METRIC)];
        assert.ok(metrics.length > 0, `${e.where}: no metric in ${e.expr}`);
        const allowed = new Set(TARGET_LABELS);
        for (const [, name, selector] of metrics) {
          const labels = series.get(name as string);
          assert.ok(labels, `${e.where}: ${name} is not a metric Weft emits`);
          used.add(name as string);
          for (const l of labels) allowed.add(l);
          for (const [, l] of (selector ?? '').matchAll(MATCHER)) {
            assert.ok(labels.has(l as string) || TARGET_LABELS.includes(l as string), `${e.where}: ${name} has no label ${l}`);
          }
        }
        for (const [, list] of e.expr.matchAll(GROUPING)) {
          for (const l of (list as string).split(',').map((s) => s.trim()).filter(Boolean)) {
            assert.ok(allowed.has(l), `${e.where}: grouping by ${l}, which none of its metrics has`);
          }
        }
        if (e.label) assert.ok(allowed.has(e.label), `${e.where}: label_values of ${e.label}`);
        checked++;
      }
    }
    assert.ok(checked > 50, `only ${checked} expressions`);
    // The dashboards cover each family of metrics the issue lists.
    for (const name of ['istio_requests_total', 'istio_request_duration_milliseconds_bucket', 'istio_tcp_sent_bytes_total', 'envoy_cluster_upstream_rq', 'process_cpu_seconds_total']) {
      assert.ok(used.has(name), `no dashboard uses ${name}`);
    }
  } finally {
    await proxy.stop();
    control.process.stop();
  }
});
