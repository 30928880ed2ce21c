// Aligned text tables in the kubectl style: upper-case headers, columns separated by 3 spaces,
// no trailing whitespace. Cells are sanitised so config values cannot inject terminal escapes.

const GAP = '   ';

/** Replaces control characters (newlines, ESC, ...) with spaces. */
export function cleanCell(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    out += c < 0x20 || (c >= 0x7f && c < 0xa0) ? ' ' : ch;
  }
  return out;
}

function width(s: string): number {
  return [...s].length;
}

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers.map(cleanCell), ...rows.map((r) => headers.map((_, i) => cleanCell(r[i] ?? '')))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => width(r[i] ?? ''))));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c))))
        .join(GAP)
        .trimEnd(),
    )
    .join('\n');
}

/** Joins a list for one cell: "a,b,c" or "a,b,c +2 more"; "<none>" when empty. */
export function listCell(items: readonly string[], max = 3): string {
  if (items.length === 0) return '<none>';
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} +${items.length - max} more` : shown;
}
