/**
 * CSV for every export (finance reports, what-if results, curtailment settlement files, tenant
 * statements): RFC 4180 quoting. A text cell starting with = + - @ (or a tab
 * or carriage return) is prefixed with ' so a spreadsheet never runs it as a formula, unless
 * the whole text is a plain decimal number (an amount formatted with toFixed). Numbers
 * we format ourselves are written as numbers: a negative margin stays -1234.56, which a
 * spreadsheet reads as a number, not a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
/** Text that is only a decimal number ("-571650.00", written with toFixed) is data, not a formula. */
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

export type Cell = string | number | boolean | null | undefined;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (FORMULA_START.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n') + '\r\n';
}
