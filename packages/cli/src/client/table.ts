/** Rows under a header, columns padded to the widest cell; empty cells shown as `-`. */
export function formatTable(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [
    header,
    ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell)))),
  ];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
