import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from './registry.js';
import { registerProcessMetrics } from './process-metrics.js';
import { startExpiry, sweepPeriodMs } from './expiry.js';
import { parseExposition, sampleValue } from './exposition-parser.js';

test('process metrics: CPU, memory, start time, heap and event-loop lag, typed as prom-client types them', () => {
  const registry = new Registry();
  const pm = registerProcessMetrics(registry);
  try {
    const text = registry.render();
    assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.match(text, /^# TYPE process_resident_memory_bytes gauge$/m);
    const parsed = parseExposition(text);
    const v = (name: string): number => sampleValue(parsed, name, {}) ?? NaN;
    assert.ok(v('process_cpu_seconds_total') > 0);
    assert.ok(v('process_resident_memory_bytes') > 1_000_000);
    const start = v('process_start_time_seconds');
    assert.ok(Math.abs(start - (Date.now() / 1000 - process.uptime())) < 5);
    assert.ok(v('nodejs_heap_size_used_bytes') > 0);
    assert.ok(v('nodejs_eventloop_lag_seconds') >= 0);
    assert.ok(v('nodejs_eventloop_lag_p99_seconds') >= v('nodejs_eventloop_lag_min_seconds'));
  } finally {
    pm.stop();
  }
});

test('expiry sweeps: period bounds, and a disabled expiry does nothing', async () => {
  assert.equal(sweepPeriodMs(600_000), 60_000);
  assert.equal(sweepPeriodMs(2_000), 500);
  assert.equal(sweepPeriodMs(100), 250);
  let t = 0;
  const registry = new Registry({ now: () => t });
  const c = registry.counter({ name: 'x_total', help: 'x', labelNames: ['k'] });
  c.labels('a').inc();
  assert.equal(c.labels('a').lastUpdated, 0); // noticed (stamped) at t = 0
  startExpiry(registry, 0).stop();
  const e = startExpiry(registry, 300);
  t = 1000;
  await new Promise((r) => setTimeout(r, 400));
  e.stop();
  assert.equal(c.size, 0);
});
