import type { Contract, PowerCost } from '../domain/site-schema.ts';
import { fraction, nonNegative } from '../lib/guard.ts';
import { HOURS_PER_YEAR, leaseRevenueUsdPerMwYear } from './lease.ts';
import { addMonthsToDate, dateMs } from './months.ts';

/**
 * What an AI contract earns, and when. Pure. A contract earns only inside its term:
 * from its start date (00:00 UTC) to the same day `termMonths` calendar months later
 * (exclusive). Outside it, rent is zero everywhere: dispatch, backtest, allocation, ledger.
 */

export interface Term {
  startMs: number;
  /** First instant after the term. */
  endMs: number;
  startDate: string;
  endDate: string;
}

export function contractTerm(c: Pick<Contract, 'startDate' | 'termMonths'>): Term {
  const endDate = addMonthsToDate(c.startDate, c.termMonths);
  return { startMs: dateMs(c.startDate), endMs: dateMs(endDate), startDate: c.startDate, endDate };
}

export function inTerm(c: Pick<Contract, 'startDate' | 'termMonths'>, atMs: number): boolean {
  const t = contractTerm(c);
  return atMs >= t.startMs && atMs < t.endMs;
}

/** Who pays the AI load's energy: as stated, else pass-through for colocation, operator for GPU cloud. */
export function powerCostOf(c: Contract): PowerCost {
  return c.powerCost ?? (c.kind === 'colocation' ? 'pass-through' : 'operator-paid');
}

/**
 * 1-based contract year holding `atMs`: whole calendar months since the start date,
 * divided by 12, plus one (a lease escalates on each anniversary).
 */
export function contractYear(c: Pick<Contract, 'startDate'>, atMs: number): number {
  const s = new Date(dateMs(c.startDate));
  const a = new Date(atMs);
  let months = (a.getUTCFullYear() - s.getUTCFullYear()) * 12 + (a.getUTCMonth() - s.getUTCMonth());
  if (a.getUTCDate() < s.getUTCDate()) months -= 1;
  return Math.max(0, Math.floor(months / 12)) + 1;
}

/**
 * Share of the contracted capacity billed at `atMs`, 0..1: the sharePct of the last ramp step
 * whose fromDate is at or before it; 1 before the first step or without a ramp.
 */
export function rampShare(c: Pick<Contract, 'ramp'>, atMs: number): number {
  let share = 1;
  for (const step of c.ramp ?? []) {
    if (dateMs(step.fromDate) <= atMs) share = step.sharePct / 100;
  }
  return share;
}

/**
 * Rent per hour at `atMs`, USD, at the contracted load (× the ramp's share); 0 outside the term.
 * Lease: rate × 12,000 × MW × (1 + escalator)^(year − 1) / 8,760 (take-or-pay: owed whatever
 * the load). GPU cloud: GPUs × $/GPU-hour × utilisation.
 */
export function contractRentUsdPerHour(c: Contract, atMs: number): number {
  if (!inTerm(c, atMs)) return 0;
  const share = rampShare(c, atMs);
  if (c.kind === 'gpu-cloud') return c.gpuCount * c.rateUsdPerGpuHour * c.utilization * share;
  return (leaseRevenueUsdPerMwYear(c.rateUsdPerKwMonth, c.escalatorPctPerYear, contractYear(c, atMs)) * c.criticalItMw * share) / HOURS_PER_YEAR;
}

/**
 * Lease fee for one calendar month of billing, USD: rate × MW × 1,000 × (1 + e)^(year − 1),
 * the year taken at the month's first instant. A day's rent is this ÷ days in that month,
 * so the days of a month add up to its fee exactly.
 */
export function leaseMonthlyFeeUsd(c: Extract<Contract, { kind: 'colocation' }>, atMs: number): number {
  if (!inTerm(c, atMs)) return 0;
  const year = contractYear(c, atMs);
  return c.rateUsdPerKwMonth * (1 + c.escalatorPctPerYear / 100) ** (year - 1) * c.criticalItMw * 1000 * rampShare(c, atMs);
}

export function daysInMonthUtc(atMs: number): number {
  const d = new Date(atMs);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
}

/** Rent earned on the UTC day starting at dayStartMs, USD (0 outside the term). */
export function contractDayRentUsd(c: Contract, dayStartMs: number): number {
  if (!inTerm(c, dayStartMs)) return 0;
  if (c.kind === 'gpu-cloud') return c.gpuCount * c.rateUsdPerGpuHour * c.utilization * 24 * rampShare(c, dayStartMs);
  return leaseMonthlyFeeUsd(c, dayStartMs) / daysInMonthUtc(dayStartMs);
}

/**
 * SLA credit, USD: fee × min(1, points short × credit % per point / 100), points short =
 * max(0, SLA uptime % − measured availability %).
 */
export function slaCreditUsd(feeUsd: number, slaUptimePct: number, availabilityPct: number, creditPctPerPoint: number): number {
  const fn = 'slaCreditUsd';
  nonNegative(fn, 'feeUsd', feeUsd);
  fraction(fn, 'availability', availabilityPct / 100);
  const short = Math.max(0, slaUptimePct - availabilityPct);
  return feeUsd * Math.min(1, (short * creditPctPerPoint) / 100);
}

/** Energy billed through to a tenant: metered MWh × the price the site paid, USD. */
export function passThroughUsd(meteredMwh: number, priceUsdPerMwh: number): number {
  nonNegative('passThroughUsd', 'meteredMwh', meteredMwh);
  return meteredMwh * priceUsdPerMwh;
}
