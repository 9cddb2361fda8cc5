import { fraction, integerAtLeast, nonNegative, positive } from '../lib/guard.ts';

/**
 * AI capacity revenue (DESIGN.md "Economics"): colocation leases priced per kW of critical
 * IT per month with an annual escalator, and GPU-cloud revenue per GPU-hour. Pure functions.
 */

export const HOURS_PER_YEAR = 8760;

/**
 * Lease revenue per MW of critical IT in contract year `year` (1-based), USD:
 * rate × 12,000 × (1 + escalator)^(year − 1). (1 MW = 1,000 kW; 12 months.)
 * The escalator compounds once per contract year, as lease escalators do.
 */
export function leaseRevenueUsdPerMwYear(rateUsdPerKwMonth: number, escalatorPctPerYear: number, year: number): number {
  const fn = 'leaseRevenueUsdPerMwYear';
  positive(fn, 'rateUsdPerKwMonth', rateUsdPerKwMonth);
  nonNegative(fn, 'escalatorPctPerYear', escalatorPctPerYear);
  integerAtLeast(fn, 'year', year, 1);
  return escalatedRate(rateUsdPerKwMonth, escalatorPctPerYear, year) * 12_000;
}

export interface LeaseTerms {
  rateUsdPerKwMonth: number;
  criticalItMw: number;
  termMonths: number;
  escalatorPctPerYear: number;
  /** Optional contract start (UTC ms); when given each month carries its start time. */
  startMs?: number;
}

export interface LeaseMonth {
  /** 1-based month of the term. */
  month: number;
  /** 1-based contract year the month falls in. */
  year: number;
  /** First instant of the month, UTC ms (only when startMs was given). */
  startMs?: number;
  rateUsdPerKwMonth: number;
  revenueUsd: number;
}

/**
 * Monthly billing schedule over the term: month m is in year ⌈m/12⌉ and bills
 * criticalItMw × 1000 × rate × (1 + escalator)^(year − 1).
 */
export function leaseMonthlySchedule(t: LeaseTerms): LeaseMonth[] {
  const fn = 'leaseMonthlySchedule';
  positive(fn, 'rateUsdPerKwMonth', t.rateUsdPerKwMonth);
  positive(fn, 'criticalItMw', t.criticalItMw);
  integerAtLeast(fn, 'termMonths', t.termMonths, 1);
  nonNegative(fn, 'escalatorPctPerYear', t.escalatorPctPerYear);
  if (t.startMs !== undefined) nonNegative(fn, 'startMs', t.startMs);
  const start = t.startMs === undefined ? undefined : new Date(t.startMs);
  const months: LeaseMonth[] = [];
  for (let m = 1; m <= t.termMonths; m++) {
    const year = Math.ceil(m / 12);
    const rate = escalatedRate(t.rateUsdPerKwMonth, t.escalatorPctPerYear, year);
    const row: LeaseMonth = { month: m, year, rateUsdPerKwMonth: rate, revenueUsd: rate * t.criticalItMw * 1000 };
    if (start) row.startMs = addMonthsUtc(start, m - 1);
    months.push(row);
  }
  return months;
}

/** Total of a schedule, USD. */
export function leaseTotalUsd(t: LeaseTerms): number {
  return leaseMonthlySchedule(t).reduce((sum, m) => sum + m.revenueUsd, 0);
}

/**
 * Critical IT power from gross power: gross × ratio. Critical IT is the load the tenant's
 * servers may draw; the rest of the gross feed goes to cooling and distribution.
 * DESIGN.md: ratio ~0.7–0.8. Any power unit works as long as it is the same on both sides.
 */
export function criticalItFromGross(grossPower: number, criticalItRatio: number): number {
  nonNegative('criticalItFromGross', 'grossPower', grossPower);
  ratio('criticalItFromGross', criticalItRatio);
  return grossPower * criticalItRatio;
}

/** Gross power needed to deliver a critical IT load: criticalIt / ratio. */
export function grossFromCriticalIt(criticalItPower: number, criticalItRatio: number): number {
  nonNegative('grossFromCriticalIt', 'criticalItPower', criticalItPower);
  ratio('grossFromCriticalIt', criticalItRatio);
  return criticalItPower / criticalItRatio;
}

export interface GpuCloudInputs {
  gpuCount: number;
  rateUsdPerGpuHour: number;
  /** Share of hours billed, 0..1. */
  utilization: number;
  /** Length of the period, hours (HOURS_PER_YEAR for a year). */
  periodHours: number;
}

/** GPU-cloud revenue over a period, USD: GPUs × $/GPU-hour × utilization × hours. */
export function gpuCloudRevenueUsd(i: GpuCloudInputs): number {
  const fn = 'gpuCloudRevenueUsd';
  integerAtLeast(fn, 'gpuCount', i.gpuCount);
  nonNegative(fn, 'rateUsdPerGpuHour', i.rateUsdPerGpuHour);
  fraction(fn, 'utilization', i.utilization);
  nonNegative(fn, 'periodHours', i.periodHours);
  return i.gpuCount * i.rateUsdPerGpuHour * i.utilization * i.periodHours;
}

/** Same day-of-month and time `months` later, clamped to the month's last day (Jan 31 → Feb 28). */
function addMonthsUtc(start: Date, months: number): number {
  const y = start.getUTCFullYear();
  const mo = start.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  const timeOfDayMs = start.getTime() - Date.UTC(y, start.getUTCMonth(), start.getUTCDate());
  return Date.UTC(y, mo, Math.min(start.getUTCDate(), lastDay)) + timeOfDayMs;
}

function escalatedRate(rate: number, escalatorPctPerYear: number, year: number): number {
  return rate * (1 + escalatorPctPerYear / 100) ** (year - 1);
}

function ratio(fn: string, criticalItRatio: number): void {
  if (!Number.isFinite(criticalItRatio) || criticalItRatio <= 0 || criticalItRatio > 1) {
    throw new RangeError(`${fn}: criticalItRatio must be in (0, 1], got ${criticalItRatio}`);
  }
}
