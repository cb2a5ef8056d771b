/**
 * Parses RFC 4180 CSV (quoted cells with doubled quotes, CRLF or LF line ends, line breaks inside
 * quotes) into rows of cells, strictly: text after a closing quote or a quote inside an unquoted
 * cell is an error, so a test catches a badly escaped export instead of reading around it.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const endOfRow = () => {
    rows.push(row);
    row = [];
  };
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('CSV: unterminated quoted cell');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += text[i++];
      }
      if (i < text.length && !/[,\r\n]/.test(text[i]!)) throw new Error(`CSV: text after a closing quote at ${i}`);
    } else {
      while (i < text.length && !/[,\r\n]/.test(text[i]!)) {
        if (text[i] === '"') throw new Error(`CSV: quote inside an unquoted cell at ${i}`);
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ',') {
      i++;
      if (i >= text.length) row.push('');
    } else {
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      endOfRow();
    }
  }
  if (row.length > 0) endOfRow();
  return rows;
}
