import type { DebtInstrument } from '../domain/site-schema.ts';
import { addMonthsToDate, calendarMonthsBetween, monthIndexOfDate } from './months.ts';

/**
 * Debt service (interest + principal) from the site's debt book. Pure.
 *
 * Periods: N = round(months from issue to maturity × paymentsPerYear / 12), at least 1;
 * payment k falls round(k × 12 / paymentsPerYear) months after issue and the last one on the
 * maturity date. Interest per period is balance × coupon / paymentsPerYear (no day count:
 * a strategic model over years does not need actual/360 precision).
 * - bullet: interest each period, all principal with the last payment;
 * - straight-line: equal principal each period, interest on the falling balance;
 * - annuity: a level payment P·r / (1 − (1 + r)^−N), r the period rate.
 */

export type DebtTerms = Pick<DebtInstrument, 'principalUsd' | 'couponPct' | 'issueDate' | 'maturityDate' | 'amortization' | 'paymentsPerYear'>;

export interface DebtPayment {
  /** ISO date of the payment. */
  date: string;
  interestUsd: number;
  principalUsd: number;
  /** Outstanding principal after this payment, USD. */
  balanceAfterUsd: number;
}

export function debtSchedule(d: DebtTerms): DebtPayment[] {
  const months = calendarMonthsBetween(d.issueDate, d.maturityDate);
  if (months <= 0) throw new RangeError(`debt: maturityDate ${d.maturityDate} must be at least a month after issueDate ${d.issueDate}`);
  const perYear = d.paymentsPerYear;
  const periods = Math.max(1, Math.round((months * perYear) / 12));
  const rate = d.couponPct / 100 / perYear;
  const level = d.amortization === 'annuity' ? annuityPayment(d.principalUsd, rate, periods) : 0;

  const out: DebtPayment[] = [];
  let balance = d.principalUsd;
  for (let k = 1; k <= periods; k++) {
    const last = k === periods;
    const interestUsd = balance * rate;
    let principalUsd: number;
    if (last) principalUsd = balance; // clears rounding drift in every kind
    else if (d.amortization === 'bullet') principalUsd = 0;
    else if (d.amortization === 'straight-line') principalUsd = d.principalUsd / periods;
    else principalUsd = level - interestUsd;
    balance = last ? 0 : balance - principalUsd;
    const date = last ? d.maturityDate : addMonthsToDate(d.issueDate, Math.round((k * 12) / perYear));
    out.push({ date, interestUsd, principalUsd, balanceAfterUsd: balance });
  }
  return out;
}

/** Level payment that retires `principal` over `periods` at `rate` per period. */
export function annuityPayment(principal: number, rate: number, periods: number): number {
  if (rate === 0) return principal / periods;
  return (principal * rate) / (1 - (1 + rate) ** -periods);
}

export interface MonthlyDebtService {
  interestUsd: number[];
  principalUsd: number[];
  /** Principal of bullet instruments at maturity (a balloon usually refinanced rather than paid from cash). */
  bulletPrincipalUsd: number[];
}

/** Debt service of every instrument, summed by month for `months` months from `startMonth`. */
export function monthlyDebtService(debt: readonly DebtTerms[], startMonth: string, months: number): MonthlyDebtService {
  const out: MonthlyDebtService = {
    interestUsd: new Array<number>(months).fill(0),
    principalUsd: new Array<number>(months).fill(0),
    bulletPrincipalUsd: new Array<number>(months).fill(0),
  };
  for (const d of debt) {
    for (const p of debtSchedule(d)) {
      const m = monthIndexOfDate(startMonth, p.date);
      if (m < 0 || m >= months) continue;
      out.interestUsd[m]! += p.interestUsd;
      out.principalUsd[m]! += p.principalUsd;
      if (d.amortization === 'bullet') out.bulletPrincipalUsd[m]! += p.principalUsd;
    }
  }
  return out;
}
