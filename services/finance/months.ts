/**
 * Calendar arithmetic for the monthly strategic model. A month is labelled "YYYY-MM" and
 * indexed from the plan's start month (index 0 = the decision month). Pure.
 */

/** Mean days in a month (365.25 / 12). Mining and GPU-hour flows use it so February is not a 10% dip. */
export const DAYS_PER_MONTH = 365.25 / 12;
export const HOURS_PER_MONTH = DAYS_PER_MONTH * 24;

export interface YearMonth {
  year: number;
  /** 1..12 */
  month: number;
}

/** "2026-01" → { year: 2026, month: 1 }; throws on anything else. */
export function parseMonth(label: string): YearMonth {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(label);
  if (!m) throw new RangeError(`month must be YYYY-MM, got "${label}"`);
  return { year: Number(m[1]), month: Number(m[2]) };
}

/** Label of the month `offset` months after `start` ("2026-11" + 3 → "2027-02"). */
export function monthLabel(start: string, offset: number): string {
  const s = parseMonth(start);
  const total = s.year * 12 + (s.month - 1) + offset;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
}

/** Index of the month holding ISO date `date` (YYYY-MM-DD…), relative to `start`; negative before it. */
export function monthIndexOfDate(start: string, date: string): number {
  const s = parseMonth(start);
  const d = new Date(date.length === 10 ? `${date}T00:00:00Z` : date);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a date: "${date}"`);
  return (d.getUTCFullYear() - s.year) * 12 + (d.getUTCMonth() + 1 - s.month);
}

/** First instant of month `offset` after `start`, UTC ms. */
export function monthStartMs(start: string, offset: number): number {
  const s = parseMonth(start);
  return Date.UTC(s.year, s.month - 1 + offset, 1);
}

/** UTC ms of an ISO date at midnight. */
export function dateMs(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a date: "${date}"`);
  return ms;
}

/** ISO date `months` calendar months after `date`, clamped to the month's last day (Jan 31 + 1 → Feb 28). */
export function addMonthsToDate(date: string, months: number): string {
  const d = new Date(dateMs(date));
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, mo, Math.min(d.getUTCDate(), lastDay))).toISOString().slice(0, 10);
}

/** Whole calendar months from `from` to `to` (day of month ignored). */
export function calendarMonthsBetween(from: string, to: string): number {
  const a = new Date(dateMs(from));
  const b = new Date(dateMs(to));
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
}

/** Monthly rate equivalent to an annual one: (1 + r)^(1/12) − 1. */
export function monthlyRate(annualPct: number): number {
  return (1 + annualPct / 100) ** (1 / 12) - 1;
}
