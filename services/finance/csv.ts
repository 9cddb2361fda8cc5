/**
 * CSV for the finance exports (RFC 4180 quoting). A text cell starting with = + - @ (or a tab
 * or carriage return) is prefixed with ' so a spreadsheet never runs it as a formula. Numbers
 * we format ourselves are written as numbers: a negative margin stays -1234.56, which a
 * spreadsheet reads as a number, not a formula.
 */
export type Cell = string | number | boolean | null | undefined;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n') + '\r\n';
}

/** Rounds money to the cent for export (the API's JSON keeps the same rounding). */
export function cents(x: number | null): number | null {
  return x === null ? null : Math.round(x * 100) / 100;
}
