import assert from 'node:assert/strict';
import { test } from 'node:test';
import { costShare, medianRound, renderTable, sampledPercent, TABLE_MARKER, usPerRequest, type RowResult } from './telemetry-report.js';

const row = (label: string, openCpuS: number, closedCpuS: number, spans = { exported: 0, dropped: 0 }): RowResult => ({
  label,
  maxRps: 10_000,
  closed: { requests: 40_000, proxyCpuS: closedCpuS, collectorCpuS: 0.04 },
  closedFailed: 0,
  p50: 0.5,
  p90: 1.25,
  p99: 4,
  achievedRps: 1000,
  open: { requests: 4000, proxyCpuS: openCpuS, collectorCpuS: 0.02 },
  openFailed: 1,
  spans,
  rowRequests: 44_000,
});

test('CPU per request and the share of a row that telemetry costs', () => {
  assert.equal(usPerRequest(0.4, 4000), 100);
  assert.ok(Number.isNaN(usPerRequest(1, 0)));
  assert.equal(costShare(110, 99), 0.1);
  assert.ok(costShare(90, 100) < 0, 'a cheaper row reads negative (noise)');
});

test('sampled percent counts one client and one server span per request, dropped ones included', () => {
  assert.equal(sampledPercent(row('x', 1, 1, { exported: 80_000, dropped: 8000 })), 100);
  assert.equal(sampledPercent(row('x', 1, 1, { exported: 880, dropped: 0 })), 1);
});

test('the table: marker, one line per row, costs against row 1', () => {
  const md = renderTable([row('base', 0.4, 2), row('traced', 0.5, 2.5, { exported: 88_000, dropped: 0 })], {
    date: '2026-11-22T12:00:00Z',
    phaseSeconds: 4,
    rate: 1000,
    connections: 16,
    loadAverage1m: 1.5,
    busyBeforePercent: 12,
    cores: 2,
  });
  assert.ok(md.startsWith(TABLE_MARKER));
  const lines = md.split('\n');
  assert.match(lines[2] ?? '', /^\| 1\. base \| 10,000 \| 0\.50 \/ 1\.25 \/ 4\.00 \| 100\.0 \| 50\.0 \| 0 \/ 0 \(0\.00 %\) \| 5\.0 \/ 1\.0 \| 1 \|$/);
  assert.match(lines[3] ?? '', /^\| 2\. traced \| .* \| 125\.0 \(\+20\.0 %\) \| 62\.5 \(\+20\.0 %\) \| 88,000 \/ 0 \(100\.00 %\) \|/);
  assert.match(md, /load average 1\.50, CPU busy 12 %/);
});

test('several rounds: the median round by proxy CPU at max, with the spread over the rounds', () => {
  const round = (cpuS: number, label = 'r'): RowResult => ({
    label,
    maxRps: cpuS * 1000,
    closed: { requests: 1000, proxyCpuS: cpuS, collectorCpuS: 0 },
    closedFailed: 0,
    p50: 1,
    p90: 2,
    p99: 3,
    achievedRps: 1000,
    open: { requests: 1000, proxyCpuS: cpuS, collectorCpuS: 0 },
    openFailed: 0,
    spans: { exported: 0, dropped: 0 },
    rowRequests: 2000,
  });
  const m = medianRound([round(0.09), round(0.07), round(0.08)]);
  assert.equal(m.closed.proxyCpuS, 0.08);
  assert.deepEqual(m.closedRange, { min: 70, max: 90, rounds: 3 });
  assert.equal(medianRound([round(0.05)]).closedRange, undefined);
  const table = renderTable([m, m], { date: 'd', phaseSeconds: 1, rate: 1000, connections: 1, loadAverage1m: 0, busyBeforePercent: 0, cores: 2 });
  assert.match(table, /80\.0 \(\+0\.0 %\) \[70\.0–90\.0\]/);
  assert.match(table, /3 interleaved rounds/);
});
