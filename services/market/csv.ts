import { MarketFileError } from './file-error.ts';

/**
 * The small CSV dialect of market postings: comma-separated, optional double quotes (no
 * newlines inside them), UTF-8 BOM, CRLF or LF, blank lines ignored. Row numbers are file line
 * numbers (header = 1) so errors point at the line a user sees in an editor.
 */

export interface CsvRow {
  /** 1-based line number in the file. */
  row: number;
  cells: string[];
}

export interface CsvTable {
  /** Header names, trimmed. */
  header: string[];
  rows: CsvRow[];
}

/** Split `text` into a trimmed header and data rows; every data row must have the header's width. */
export function readCsv(text: string, source: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) throw new MarketFileError(source, 1, 'empty file: no header');
  const header = splitLine(lines[headerAt] as string, source, headerAt + 1).map((h) => h.trim());
  const rows: CsvRow[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const cells = splitLine(line, source, i + 1);
    if (cells.length !== header.length) {
      throw new MarketFileError(source, i + 1, `expected ${header.length} columns (${header.join(',')}), found ${cells.length}: "${line.trim()}"`);
    }
    rows.push({ row: i + 1, cells });
  }
  return { header, rows };
}

function splitLine(line: string, source: string, row: number): string[] {
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  if (quoted) throw new MarketFileError(source, row, `unterminated quote: ${line.trim()}`);
  cells.push(cell);
  return cells;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A finite decimal number from a cell (surrounding spaces allowed: NP4-190 pads prices).
 * Number('') is 0 and Number('0x10') is 16, so the text is matched before it is converted.
 * Returns undefined when the text is not a number; the caller names the row and column.
 */
export function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** The header names of `text` (first non-blank line), trimmed, without parsing the rest. */
export function peekHeader(text: string): string[] {
  const body = text.replace(/^\uFEFF/, '');
  const line = body.split(/\r?\n/, 50).find((l) => l.trim() !== '') ?? '';
  return line.split(',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
}
