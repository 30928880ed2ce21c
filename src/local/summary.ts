// The "what runs where" table `weft up` prints once the mesh is ready. Pure.

import type { ProcessSpec } from './plan.js';

export interface SummaryRow {
  spec: ProcessSpec;
  pid: number | undefined;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [header, ...rows].map(line).join('\n') + '\n';
}

export function componentLabel(spec: ProcessSpec): string {
  return spec.role === 'control-plane' ? 'control-plane' : `${spec.role}/${spec.instance}`;
}

export function summaryTable(rows: readonly SummaryRow[]): string {
  return formatTable(
    ['COMPONENT/INSTANCE', 'ADDRESS', 'PORTS', 'PID'],
    rows.map((r) => [componentLabel(r.spec), r.spec.address, r.spec.ports, r.pid === undefined ? '-' : String(r.pid)]),
  );
}
